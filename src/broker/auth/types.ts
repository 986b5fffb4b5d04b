// What the broker asks of authentication and authorization. The broker core calls these; the
// password-file and ACL-file implementations live beside this file, and users may plug in their own.

export interface AuthRequest {
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  /** "ip:port" of the peer. */
  remoteAddress: string;
  /** "tcp:default", "ssl:default", "quic:default", ... */
  listener: string;
  protocolVersion: 3 | 4 | 5;
  /** Common name of a verified client certificate (mutual TLS), if any. */
  certCommonName?: string;
}

export type AuthResult =
  | { ok: true; superuser?: boolean }
  | { ok: false; reason: 'bad_username_or_password' | 'not_authorized' | 'banned' };

export interface Authenticator {
  authenticate(req: AuthRequest): AuthResult | Promise<AuthResult>;
}

export type AclAction = 'publish' | 'subscribe';

export interface AclClient {
  clientId: string;
  username: string | undefined;
  superuser?: boolean;
}

export interface Authorizer {
  /** true = allowed. Called for every PUBLISH topic and SUBSCRIBE filter (cache as needed). */
  authorize(client: AclClient, action: AclAction, topic: string): boolean;
}

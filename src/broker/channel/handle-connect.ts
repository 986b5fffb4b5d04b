// CONNECT -> CONNACK (MQTT 5.0 §3.1, §3.2; MQTT 3.1.1 §3.1, §3.2).
import { randomUUID } from 'node:crypto';
import type { IConnectPacket, IConnackPacket } from '../../mqtt/codec.js';
import { ReasonCode } from '../../mqtt/reason-codes.js';
import { validateTopicName } from '../../mqtt/topic.js';
import type { AuthResult } from '../auth/types.js';
import type { WillSpec } from '../session-registry.js';
import { pickForwardedProperties } from '../message.js';
import { SYS_TOPIC_ROOT } from '../sys-topics.js';
import type { Channel } from './channel.js';

/** MQTT 3.1 §3.1: a 3.1 client identifier is 1 to 23 characters. */
const MQTT31_MAX_CLIENT_ID_CHARS = 23;
/** MQTT 5.0 §3.1.2.11.2: 0xFFFFFFFF means the session does not expire. */
const SESSION_NEVER_EXPIRES = 0xffffffff;
/** MQTT 5.0 §3.2.2.3.5-6: Receive Maximum and Topic Alias Maximum are two-byte integers. */
const MAX_UINT16 = 65535;

export async function handleConnect(ch: Channel, packet: IConnectPacket): Promise<void> {
  const { ctx } = ch;
  const mqtt = ctx.config.mqtt;
  const props = packet.properties ?? {};
  if (ch.isV5) {
    if (props.requestProblemInformation === false) ch.problemInformation = false;
    // MQTT 5.0 §3.1.2.11.9: enhanced authentication is not supported, so any method is a bad one.
    if (props.authenticationMethod !== undefined) {
      return ch.refuseConnect(ReasonCode.BadAuthenticationMethod, `authentication method ${props.authenticationMethod} not supported`);
    }
    // MQTT 5.0 §3.1.2.11.3 and §3.1.2.11.4: a value of 0 is a Protocol Error.
    if (props.receiveMaximum === 0) return ch.refuseConnect(ReasonCode.ProtocolError, 'Receive Maximum 0');
    if (props.maximumPacketSize === 0) return ch.refuseConnect(ReasonCode.ProtocolError, 'Maximum Packet Size 0');
    if (props.receiveMaximum !== undefined) ch.clientReceiveMaximum = props.receiveMaximum;
    if (props.maximumPacketSize !== undefined) ch.clientMaxPacketSize = props.maximumPacketSize;
    if (props.topicAliasMaximum !== undefined) ch.clientTopicAliasMaximum = props.topicAliasMaximum;
  }

  // MQTT 3.1.1 §3.1.2.9 [MQTT-3.1.2-22] (and 3.1): no Password without a User Name. 5.0 allows it.
  if (!ch.isV5 && packet.password !== undefined && packet.username === undefined) {
    return ch.refuseConnect(ReasonCode.ProtocolError, 'password flag set without user name flag');
  }

  // Client identifier (MQTT 5.0 §3.1.3.1, MQTT 3.1.1 §3.1.3.1, MQTT 3.1 §3.1: 1-23 characters).
  let clientId = packet.clientId;
  let assigned: string | undefined;
  const cleanStart = packet.clean !== false;
  if (clientId.length === 0) {
    // 3.1.1 [MQTT-3.1.3-8]: an empty id with CleanSession=0 is rejected with 0x02; 3.1 always needs an id.
    if (ch.version === 3 || (ch.version === 4 && !cleanStart)) {
      return ch.refuseConnect(ReasonCode.ClientIdentifierNotValid, 'empty client identifier');
    }
    clientId = `quicmq-${randomUUID()}`;
    assigned = clientId;
  }
  // MQTT 3.1 §3.1 (CONNECT payload): "between 1 and 23 characters", else return code 2 Identifier
  // rejected (mosquitto's conformance tests expect exactly that for 3.1). 3.1.1 lifted the limit (a
  // server MAY allow more, §3.1.3.1) and EMQX applies only max_clientid_len to every version:
  // strict_mqtt31_client_id=false does the same. Strict is the default because it is what 3.1 says.
  if (ch.version === 3 && mqtt.strict_mqtt31_client_id && [...clientId].length > MQTT31_MAX_CLIENT_ID_CHARS) {
    return ch.refuseConnect(ReasonCode.ClientIdentifierNotValid, `MQTT 3.1 client identifier longer than ${MQTT31_MAX_CLIENT_ID_CHARS} characters`);
  }
  if (assigned === undefined && Buffer.byteLength(clientId, 'utf8') > mqtt.max_clientid_len) {
    return ch.refuseConnect(ReasonCode.ClientIdentifierNotValid, `client identifier longer than ${mqtt.max_clientid_len} bytes`);
  }
  ch.clientId = clientId;

  // Will (MQTT 5.0 §3.1.2.5-7, §3.1.3.2-3).
  let will: WillSpec | undefined;
  if (packet.will) {
    const w = packet.will;
    // MQTT 5.0 §3.1.2.6 [MQTT-3.1.2-12]: Will QoS 3 is a Malformed Packet (the decoder lets it through).
    if ((w.qos ?? 0) > 2) return ch.refuseConnect(ReasonCode.MalformedPacket, 'will QoS 3');
    const check = validateTopicName(w.topic, { maxLevels: mqtt.max_topic_levels });
    if (!check.ok) return ch.refuseConnect(ReasonCode.TopicNameInvalid, `will topic ${check.reason}`);
    // MQTT 5.0 §3.2.2.3.4 [MQTT-3.2.2-12] and §3.2.2.3.5 [MQTT-3.2.2-13].
    if ((w.qos ?? 0) > mqtt.max_qos_allowed) return ch.refuseConnect(ReasonCode.QoSNotSupported, `will QoS ${w.qos} not supported`);
    if (w.retain && !mqtt.retain_available) return ch.refuseConnect(ReasonCode.RetainNotSupported, 'retained will not supported');
    will = willFromConnect(w, clientId);
  }

  // Authentication (never log the password).
  let auth: AuthResult;
  try {
    auth = ctx.authenticator
      ? await ctx.authenticator.authenticate({
          clientId,
          username: packet.username,
          password: packet.password,
          remoteAddress: ch.info.remoteAddress,
          listener: ch.info.listener,
          protocolVersion: ch.version,
          ...(ch.info.certCommonName !== undefined ? { certCommonName: ch.info.certCommonName } : {}),
        })
      : anonymousOnly(packet, ctx.config.authentication.allow_anonymous);
  } catch (e) {
    ctx.logger.error({ clientId, err: e }, 'authenticator failed');
    if (ch.state !== 'connecting') return;
    return ch.refuseConnect(ReasonCode.ServerUnavailable, 'authentication unavailable');
  }
  // The connection may have gone while the authenticator was thinking.
  if (ch.state !== 'connecting') return;
  if (!auth.ok) {
    const code =
      auth.reason === 'bad_username_or_password' ? ReasonCode.BadUserNameOrPassword : auth.reason === 'banned' ? ReasonCode.Banned : ReasonCode.NotAuthorized;
    return ch.refuseConnect(code, auth.reason.replace(/_/g, ' '));
  }
  ch.username = packet.username;
  ch.superuser = auth.superuser === true;
  // The will is a publication like any other: check it now rather than lose it silently later. $SYS/
  // is the broker's own tree, closed to every client PUBLISH (handle-publish.ts), so to wills as well:
  // otherwise a retained will could overwrite the broker's status topics.
  if (will && will.message.topic.startsWith(SYS_TOPIC_ROOT)) {
    return ch.refuseConnect(ReasonCode.NotAuthorized, 'will topic under $SYS/ not allowed');
  }
  if (will && !ch.superuser && ctx.authorizer) {
    if (!ctx.authorizer.authorize({ clientId, username: ch.username, superuser: false }, 'publish', will.message.topic)) {
      return ch.refuseConnect(ReasonCode.NotAuthorized, 'will topic not authorized');
    }
  }

  // Session expiry (MQTT 5.0 §3.1.2.11.2); 3.1/3.1.1 persistent sessions use the broker's bound.
  const maxExpiryMs = mqtt.session_expiry_interval;
  let expiryMs: number;
  let expiryChanged = false;
  if (ch.isV5) {
    const requested = props.sessionExpiryInterval ?? 0;
    ch.connectSessionExpiry = requested;
    expiryMs = requested === SESSION_NEVER_EXPIRES ? Infinity : requested * 1000;
    if (expiryMs > maxExpiryMs) {
      expiryMs = maxExpiryMs;
      expiryChanged = true;
    }
  } else {
    expiryMs = cleanStart ? 0 : maxExpiryMs;
  }

  ch.will = will;
  const { session, present } = ctx.sessions.open(clientId, ch, cleanStart, expiryMs);
  ch.session = session;
  ch.state = 'connected';

  // Keepalive: 5.0 Server Keep Alive overrides the client's (MQTT 5.0 §3.2.2.3.14).
  const serverKeepalive = ch.isV5 ? mqtt.server_keepalive : null;
  const keepalive = serverKeepalive ?? packet.keepalive ?? 0;

  ch.receiveMaximum = Math.max(1, Math.min(mqtt.max_inflight, MAX_UINT16));
  ch.topicAliasMaximum = Math.min(mqtt.max_topic_alias, MAX_UINT16);
  const connack: IConnackPacket = { cmd: 'connack', sessionPresent: present };
  if (ch.isV5) {
    connack.reasonCode = ReasonCode.Success;
    const p: NonNullable<IConnackPacket['properties']> = {
      receiveMaximum: ch.receiveMaximum,
      maximumPacketSize: mqtt.max_packet_size,
      topicAliasMaximum: ch.topicAliasMaximum,
      retainAvailable: mqtt.retain_available,
      wildcardSubscriptionAvailable: mqtt.wildcard_subscription,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: mqtt.shared_subscription,
    };
    // MQTT 5.0 §3.2.2.3.4: Maximum QoS is only sent when below 2 (the only legal values are 0 and 1).
    if (mqtt.max_qos_allowed < 2) p.maximumQoS = mqtt.max_qos_allowed;
    if (expiryChanged) p.sessionExpiryInterval = Math.floor(expiryMs / 1000);
    // MQTT 5.0 §3.2.2.3.7: tell the client the identifier it was given.
    if (assigned !== undefined) p.assignedClientIdentifier = assigned;
    if (serverKeepalive !== null) p.serverKeepAlive = serverKeepalive;
    connack.properties = p;
  } else {
    connack.returnCode = 0;
  }
  ctx.onChannelConnected(ch);
  ch.send(connack);
  // A CONNACK larger than the client's Maximum Packet Size closes the connection (Channel.writePacket).
  if (!ch.connected) return;
  ch.startKeepalive(keepalive);
  ctx.logger.info(
    { clientId, username: packet.username, listener: ch.info.listener, remote: ch.info.remoteAddress, protocolVersion: ch.version, cleanStart, sessionPresent: present, keepalive },
    'client connected',
  );
  ch.resumeInflight();
}

/** Without an Authenticator: anonymous clients per allow_anonymous, nobody with credentials. */
function anonymousOnly(packet: IConnectPacket, allowAnonymous: boolean): AuthResult {
  if (packet.username !== undefined || packet.password !== undefined) {
    // Credentials cannot be checked without an authenticator; accept them only where anyone may connect.
    return allowAnonymous ? { ok: true } : { ok: false, reason: 'bad_username_or_password' };
  }
  return allowAnonymous ? { ok: true } : { ok: false, reason: 'not_authorized' };
}

/** The will of a CONNECT as the broker keeps it (MQTT 5.0 §3.1.3.2: its properties travel with it). */
function willFromConnect(w: NonNullable<IConnectPacket['will']>, clientId: string): WillSpec {
  const wp = w.properties ?? {};
  return {
    message: {
      topic: w.topic,
      payload: Buffer.isBuffer(w.payload) ? w.payload : Buffer.from(w.payload),
      qos: w.qos ?? 0,
      retain: w.retain ?? false,
      properties: pickForwardedProperties(wp),
      publisher: clientId,
    },
    // MQTT 5.0 §3.1.3.2.2 Will Delay Interval (seconds).
    delayMs: (wp.willDelayInterval ?? 0) * 1000,
    ...(wp.messageExpiryInterval !== undefined ? { expirySeconds: wp.messageExpiryInterval } : {}),
  };
}

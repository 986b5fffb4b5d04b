// Public surface of connection-ID management, for the connection and the endpoint.
export { ConnectionIdManager } from './connection-id-manager.js';
export type { ConnectionIdManagerOptions, ConnectionIdFrame } from './connection-id-manager.js';
export { LocalConnectionIds, DEFAULT_MAX_ISSUED_CONNECTION_IDS } from './local-connection-ids.js';
export type { LocalConnectionIdOptions, NewConnectionIdFrame, LocalConnectionIdEvent, IssuedConnectionId } from './local-connection-ids.js';
export { PeerConnectionIds, DEFAULT_ACTIVE_CONNECTION_ID_LIMIT } from './peer-connection-ids.js';
export type { PeerConnectionIdOptions, PeerConnectionId, RetireConnectionIdFrame } from './peer-connection-ids.js';
export * from './connection-id.js';

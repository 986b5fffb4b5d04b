// The client's names for MQTT reason-code helpers. The tables and wording live in src/mqtt/reason-codes.ts,
// shared with the broker; this module keeps the client's import path and names.
export { reasonCodeName, describeReasonCode, describeConnackCode, isFailure as isFailureReasonCode } from '../mqtt/reason-codes.js';

// Public surface of QUIC loss recovery and congestion control (RFC 9002, RFC 9438).
export * from './types.js';
export * from './errors.js';
export * from './rtt.js';
export * from './sent-packets.js';
export * from './loss-detection.js';
export * from './ack-tracker.js';
export * from './ack-validation.js';
export * from './pacer.js';
export * from './congestion/index.js';

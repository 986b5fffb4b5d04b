// Topic name and filter checks done before anything is sent, so a typo fails locally with a clear message
// instead of as a broker disconnect. (Shared rules belong in src/mqtt/ once it exists.)
import { MqttClientError } from './errors.js';

/** MQTT 5.0 §1.5.4: UTF-8 strings are at most 65,535 bytes. */
const MAX_UTF8_STRING_BYTES = 0xffff;

function checkCommon(kind: string, value: string): void {
  // MQTT 5.0 §4.7.3: all Topic Names and Topic Filters MUST be at least one character long.
  if (value.length === 0) throw new MqttClientError('ERR_INVALID_OPTION', `${kind} must not be empty`);
  // MQTT 5.0 §1.5.4: a UTF-8 Encoded String MUST NOT include U+0000.
  if (value.includes('\u0000')) throw new MqttClientError('ERR_INVALID_OPTION', `${kind} "${value}" contains U+0000`);
  if (Buffer.byteLength(value, 'utf8') > MAX_UTF8_STRING_BYTES) {
    throw new MqttClientError('ERR_INVALID_OPTION', `${kind} is longer than ${MAX_UTF8_STRING_BYTES} bytes`);
  }
}

/** Throws ERR_INVALID_OPTION unless `topic` is a valid Topic Name (no wildcards, MQTT 5.0 §3.3.2.1). */
export function checkTopicName(topic: string): void {
  checkCommon('Topic name', topic);
  if (/[+#]/.test(topic)) {
    throw new MqttClientError('ERR_INVALID_OPTION', `Topic name "${topic}" must not contain wildcards (+ or #)`);
  }
}

/** Throws ERR_INVALID_OPTION unless `filter` is a valid Topic Filter (MQTT 5.0 §4.7.1). */
export function checkTopicFilter(filter: string): void {
  checkCommon('Topic filter', filter);
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    // §4.7.1.2: '#' MUST be the last character, alone in its level (after a separator or on its own).
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      throw new MqttClientError('ERR_INVALID_OPTION', `Topic filter "${filter}": '#' must be the whole last level`);
    }
    // §4.7.1.3: '+' MUST occupy an entire level of the filter.
    if (level.includes('+') && level !== '+') {
      throw new MqttClientError('ERR_INVALID_OPTION', `Topic filter "${filter}": '+' must be a whole level`);
    }
  });
}

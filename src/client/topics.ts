// Topic name and filter checks done before anything is sent, so a typo fails locally with a clear message
// instead of as a broker disconnect. The rules are the broker's (src/mqtt/topic.ts); only the wording is
// the client's.
import { TopicProblem, validateTopicFilter, validateTopicName, type TopicCheck } from '../mqtt/topic.js';
import { MqttClientError } from './errors.js';

/** The client's message for a failed check: addresses the caller and says what to change. */
function describeProblem(kind: 'Topic name' | 'Topic filter', value: string, reason: string): string {
  switch (reason) {
    case TopicProblem.Empty:
      return `${kind} must not be empty`;
    case TopicProblem.TooLong:
      return `${kind} is ${reason}`;
    case TopicProblem.ContainsNul:
      return `${kind} "${value}" ${reason}`;
    case TopicProblem.WildcardInName:
      return `${kind} "${value}" must not contain wildcards (+ or #)`;
    case TopicProblem.MultiLevelWildcardMisplaced:
      return `${kind} "${value}": '#' must be the whole last level`;
    case TopicProblem.SingleLevelWildcardMisplaced:
      return `${kind} "${value}": '+' must be a whole level`;
    default:
      return `${kind} "${value}" is invalid: ${reason}`;
  }
}

function throwUnlessOk(check: TopicCheck, kind: 'Topic name' | 'Topic filter', value: string): void {
  if (!check.ok) throw new MqttClientError('ERR_INVALID_OPTION', describeProblem(kind, value, check.reason));
}

/** Throws ERR_INVALID_OPTION unless `topic` is a valid Topic Name (no wildcards, MQTT 5.0 §3.3.2.1). */
export function checkTopicName(topic: string): void {
  throwUnlessOk(validateTopicName(topic), 'Topic name', topic);
}

/** Throws ERR_INVALID_OPTION unless `filter` is a valid Topic Filter (MQTT 5.0 §4.7.1). */
export function checkTopicFilter(filter: string): void {
  throwUnlessOk(validateTopicFilter(filter), 'Topic filter', filter);
}

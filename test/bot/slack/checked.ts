import { checkOptions, checkView, recordRefusal, responseUrlRefusal } from '../../helpers/slackLimits';

/**
 * What the app answers that is no Web API call (an acknowledgement's body, a response_url
 * reply to a listener called directly), checked against Slack's limits as the Web API doubles
 * check theirs: a refusal is recorded, and fails the test (test/setup/slackLimits.ts).
 */

/**
 * A response_url for listeners called directly (Bolt's respond): each reply is checked against
 * Slack's limits, and one Slack would refuse is recorded (failing the test) and throws, as a
 * refused reply does; `each` sees every reply (a string becomes { text }).
 */
export function fakeRespond(each?: (reply: Record<string, any>) => void) {
  return jest.fn(async (m: any): Promise<any> => {
    const reply = typeof m === 'string' ? { text: m } : m;
    const refusal = responseUrlRefusal(reply);
    if (refusal) {
      recordRefusal('response_url', refusal);
      throw new Error(`Request failed with status code 400 (${refusal.error})`);
    }
    each?.(reply);
    return {};
  });
}

/** A block_suggestion: Slack reads the menu's options from the answer to it. */
function isOptionsRequest(body: string): boolean {
  try {
    return JSON.parse(new URLSearchParams(body).get('payload') ?? '{}').type === 'block_suggestion';
  } catch {
    return false;
  }
}

/** An options answer past Slack's limits is recorded, and fails the test (test/setup/slackLimits.ts). */
function checkOptionsAnswer(where: string, answer: unknown): void {
  const refusal = checkOptions((answer ?? {}) as Record<string, any>);
  if (refusal) recordRefusal(where, refusal);
}

/** A view in a submission's answer (response_action update or push) past Slack's limits is recorded, and fails the test. */
function checkViewAnswer(where: string, answer: unknown): void {
  const a = answer as { response_action?: string; view?: Record<string, any> } | null;
  if (!a?.response_action || (a.response_action !== 'update' && a.response_action !== 'push')) return;
  const refusal = checkView(a.view);
  if (refusal) recordRefusal(where, refusal);
}

/** The ack of a view_submission listener called directly: a view it answers with is checked against Slack's limits. */
export function viewAck() {
  return jest.fn(async (answer?: unknown) => checkViewAnswer('view_submission ack', answer));
}

/** The ack of an options listener called directly (Bolt's app.options): its answer checked against Slack's limits. */
export function optionsAck() {
  return jest.fn(async (answer?: unknown) => checkOptionsAnswer('options ack', answer));
}

/** The body the app answered a signed request with: options to a block_suggestion, a view to a view_submission. */
export function checkedAnswer(request: string, answer: unknown): void {
  if (isOptionsRequest(request)) checkOptionsAnswer('options response', answer);
  checkViewAnswer('view_submission response', answer);
}

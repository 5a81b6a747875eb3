/** Names shared by the jest global setup/teardown and the test database helpers. */

/** Database every test database is cloned from; global setup migrates it. */
export const TEMPLATE_DATABASE = 'billbot_template';

/** Env var carrying the admin connection string (contains a password: never print it). */
export const ADMIN_URL_ENV = 'BILLBOT_TEST_ADMIN_URL';

/** What global setup leaves for global teardown (same process, different module instances). */
export interface TestServerState {
  stop: () => Promise<void>;
  folder: string;
}

const STATE_KEY = '__billbotTestServer';

export function setTestServerState(state: TestServerState | undefined): void {
  (globalThis as Record<string, unknown>)[STATE_KEY] = state;
}

export function getTestServerState(): TestServerState | undefined {
  return (globalThis as Record<string, unknown>)[STATE_KEY] as TestServerState | undefined;
}

import { takeViolations } from '../helpers/slackLimits';

/**
 * Every test: a payload that a test double of Slack refused for breaking Slack's limits fails
 * the test that sent it (the double has also answered as Slack does, so the code's handling of
 * the refusal ran). A test that sends one on purpose takes it with takeViolations() itself.
 */
afterEach(() => {
  const violations = takeViolations();
  if (violations.length) {
    throw new Error(`Slack would refuse ${violations.length} payload(s) of this test:\n${violations.slice(0, 10).join('\n')}`);
  }
});

import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps';
import { appHomeOpenedEvent } from './appHome';
import { fileSharedEvent } from './fileShared';
import { fileShareMessageEvent } from './fileShareMessage';

/**
 * One listener per event type: workbooks sent to the bot, the Home tab opened. Bolt acknowledges events before
 * the listeners run; the work goes on in the background (deps.tasks).
 */
export function register(app: App, deps: SlackDeps): void {
  app.event('file_shared', fileSharedEvent(deps));
  app.event('message', fileShareMessageEvent(deps));
  app.event('app_home_opened', appHomeOpenedEvent(deps));
}

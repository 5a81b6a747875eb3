import type { webApi } from '@slack/bolt';
import type { Logger } from '../log';
import type { Access, Billing } from '../../billing';
import type { CommandHandlers, ExecutorServices } from '../commands/execute';
import type { RecentRequests } from './requestKeys';
import type { BackgroundWork } from './tasks';
import type { UploadSettings } from './uploadSettings';

export type WebClient = webApi.WebClient;

/** What the Slack listeners use: the billing services, access control and the app's own settings. */
export interface SlackServices {
  billing: Billing;
  log?: ExecutorServices['log'];
  /** Handlers other parts plug in for commands the shared executor does not run itself. */
  handlers?: CommandHandlers;
}

export interface SlackDeps {
  services: SlackServices;
  access: Access;
  /** Work done after acknowledging Slack; shutdown (and tests) wait for it. */
  tasks: BackgroundWork;
  /** Requests already handled by this process (a double submission is not announced twice). */
  recent: RecentRequests;
  logger: Logger;
  /** Least time between two updates of a bill run's progress message. */
  progressIntervalMs: number;
  /** Invoicer families per bill run batch (each batch is one transaction); billing's default when absent. */
  familiesPerBatch?: number;
  /** Batches billed at once (billing's default when absent). */
  workers?: number;
  /** Limits for workbooks sent to the bot (size, how long a preview waits); uploadSettings.ts has the defaults. */
  uploads?: Partial<UploadSettings>;
}

/** The executor's services for Slack: the shared ones plus what only Slack handles. */
export function executorServices(deps: SlackDeps): ExecutorServices {
  return { billing: deps.services.billing, log: deps.services.log, handlers: deps.services.handlers };
}

import type { Billing } from '../../billing';
import type { SchedulerLogger } from './logger';
import { messageOf } from './runReports';

/**
 * Listens for changes to the configurations (billing's `schedules.watchChanges`), calling
 * `onChange` for each; polling covers a lost connection.
 */
export class ConfigurationChanges {
  private stopWatching: (() => Promise<void>) | null = null;

  constructor(
    private readonly billing: Billing,
    private readonly logger: SchedulerLogger,
    private readonly onChange: () => void,
  ) {}

  async listen(): Promise<void> {
    try {
      this.stopWatching = await this.billing.schedules.watchChanges(this.onChange, (e: unknown) => {
        // The connection broke (database restarted): polling goes on finding changes.
        this.logger.warn(`Stopped listening for configuration changes: ${messageOf(e)}`);
      });
    } catch (e) {
      this.logger.warn(`Not listening for configuration changes (polling instead): ${messageOf(e)}`);
    }
  }

  async unlisten(): Promise<void> {
    const stop = this.stopWatching;
    if (!stop) return;
    this.stopWatching = null;
    await stop();
  }
}

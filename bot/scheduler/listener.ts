import type { Knex } from 'knex';
import type { SchedulerLogger } from './logger';
import { messageOf } from './runReports';

const CHANGES_CHANNEL = 'billbot_configurations';

/**
 * LISTENs for the configurations trigger's NOTIFY on a connection of its own, calling
 * `onChange` for each; polling covers a lost connection.
 */
export class ConfigurationChanges {
  private listener: { connection: any; onNotification: (m: { channel: string }) => void } | null = null;

  constructor(
    private readonly db: Knex,
    private readonly logger: SchedulerLogger,
    private readonly onChange: () => void,
  ) {}

  async listen(): Promise<void> {
    try {
      const connection = await (this.db.client as any).acquireConnection();
      const onNotification = (m: { channel: string }) => {
        if (m.channel === CHANGES_CHANNEL) this.onChange();
      };
      connection.on('notification', onNotification);
      connection.on('error', (e: unknown) => {
        // The connection broke (database restarted): polling goes on finding changes.
        this.logger.warn(`Stopped listening for configuration changes: ${messageOf(e)}`);
      });
      await connection.query(`LISTEN ${CHANGES_CHANNEL}`);
      this.listener = { connection, onNotification };
    } catch (e) {
      this.logger.warn(`Not listening for configuration changes (polling instead): ${messageOf(e)}`);
    }
  }

  async unlisten(): Promise<void> {
    const listener = this.listener;
    if (!listener) return;
    this.listener = null;
    listener.connection.removeListener('notification', listener.onNotification);
    try {
      await listener.connection.query(`UNLISTEN ${CHANGES_CHANNEL}`);
    } catch {
      // the connection is gone; the pool discards it
    }
    await (this.db.client as any).releaseConnection(listener.connection);
  }
}

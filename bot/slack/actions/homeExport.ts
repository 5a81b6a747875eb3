import { HOME_EXPORT_HELP } from '../../render';
import type { SlackDeps } from '../deps';
import { describeFailure } from '../errors';
import { messageView } from '../modals/kit';
import type { HomeButtonArgs } from './homeForm';

/** "Export" on the Home tab: a small modal explaining `/billing export` (exports are workbooks a command makes). */
export function homeExportAction(deps: SlackDeps) {
  return async ({ ack, body, client, logger }: HomeButtonArgs): Promise<void> => {
    await ack();
    await deps.tasks.run(
      async () => {
        await client.views.open({ trigger_id: body.trigger_id, view: messageView('Export', HOME_EXPORT_HELP) });
      },
      (error) => {
        describeFailure(error, logger, 'the Export button');
      },
    );
  };
}

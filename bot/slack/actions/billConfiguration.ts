import type { AckFn, BlockAction, ExternalSelectAction, StaticSelectAction } from '@slack/bolt';
import type { Logger } from '../../log';
import type { SlackDeps, WebClient } from '../deps';
import { errorSummary } from '../errors';
import { billAccountView } from '../modals/billAccount';
import { blockId, ModalMetadata, ModalView, readMetadata, ViewStateValues } from '../modals/kit';
import type { ModalCommand } from '../../commands';

export interface SelectArgs {
  ack: AckFn<void>;
  body: BlockAction<StaticSelectAction | ExternalSelectAction>;
  /** A static menu (100 configurations or fewer) or an external one; the value is the configuration's id. */
  action: StaticSelectAction | ExternalSelectAction;
  client: WebClient;
  logger: Logger;
}

/**
 * A menu choice in an open form that rebuilds it: acknowledged, then `build` makes the new view
 * from the form's metadata, its answers so far and the choice, which replaces the form.
 */
export function refillOnSelect(
  deps: SlackDeps,
  fallback: ModalCommand['kind'],
  what: string,
  build: (meta: ModalMetadata, values: ViewStateValues, action: SelectArgs['action']) => Promise<ModalView>,
) {
  return async ({ ack, body, action, client, logger }: SelectArgs): Promise<void> => {
    await ack();
    const view = body.view;
    if (!view) return;
    await deps.tasks.run(
      async () => {
        const next = await build(readMetadata(view.private_metadata, fallback), view.state.values as ViewStateValues, action);
        await client.views.update({ view_id: view.id, hash: view.hash, view: next });
      },
      (error) => {
        // A stale hash means the person changed the form meanwhile; their newer change wins.
        logger.warn(`billbot: could not refill the ${what} form (${errorSummary(error).split('\n')[0]})`);
      },
    );
  };
}

/**
 * Another configuration chosen in the Bill Account form: the period dates are refilled from
 * its period rule for today (the account chosen so far is kept). Both menus carry ids.
 */
export function billConfigurationAction(deps: SlackDeps) {
  return refillOnSelect(deps, 'bill.modal', 'bill', async (meta, values, action) => {
    const accountBlock = blockId(values, 'account');
    const account = accountBlock ? (Object.values(values[accountBlock] ?? {})[0]?.selected_option?.value ?? null) : null;
    return billAccountView(deps.services.billing, { ...meta, version: meta.version + 1 }, {
      configuration: action.selected_option?.value ?? null,
      account,
    });
  });
}

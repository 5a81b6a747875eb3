import { z } from 'zod';
import { roleIncludes, type Role } from '../../../billing';
import { validateCommand, type Command } from '../../commands';
import { homeView, homeWithoutRole, type HomeActions } from '../../render';
import { requiredRole } from '../access';
import type { SlackDeps, WebClient } from '../deps';
import { describeFailure } from '../errors';
import type { EventArgs } from './fileShared';

const appHomeSchema = z.object({
  type: z.literal('app_home_opened'),
  user: z.string().min(1),
  tab: z.string().optional(),
});

const may = (role: Role, command: Command) => roleIncludes(role, requiredRole(command));

/** The Home tab's buttons the role allows: each needs the role of the command it stands for. */
export function homeActions(role: Role): HomeActions {
  return {
    bill: may(role, validateCommand({ kind: 'bill.modal' })),
    credit: may(role, validateCommand({ kind: 'credit.add.modal' })),
    export: may(role, validateCommand({ kind: 'billing.export', what: 'invoices' })),
  };
}

/** Builds the person's Home tab from the data as it is now and publishes it (views.publish). */
export async function publishHome(deps: SlackDeps, client: WebClient, user: string): Promise<void> {
  const role = await deps.access.roleOf(user);
  const billing = deps.services.billing;
  const view = role ? homeView(await billing.home(), homeActions(role), billing.clock.now()) : homeWithoutRole(user);
  await client.views.publish({ user_id: user, view });
}

/**
 * `app_home_opened` on the Home tab: the tab is rebuilt for the person each time they open it
 * (Bolt has acknowledged the event; the look-up runs in the background).
 */
export function appHomeOpenedEvent(deps: SlackDeps) {
  return async ({ event, client, logger }: EventArgs): Promise<void> => {
    const parsed = appHomeSchema.safeParse(event);
    if (!parsed.success || (parsed.data.tab && parsed.data.tab !== 'home')) return;
    const user = parsed.data.user;
    await deps.tasks.run(
      () => publishHome(deps, client, user),
      (error) => {
        describeFailure(error, logger, 'the Home tab');
      },
    );
  };
}

import { type Billing, periodFor, todayIn } from '../../../billing';
import { buildForm, Form } from '../../commands/forms';
import { formView } from './formView';
import { accountPicker, messageView, ModalMetadata, ModalView, option } from './kit';

/** The Bill Account modal (bare `/bill`): account, configuration, period, posting date, preview. */
export const BILL_ACCOUNT_CALLBACK = 'bill_account';
/** Choosing another configuration refills the period from its rule. */
export const CONFIGURATION_ACTION = 'bill_configuration';

function withInitial(form: Form, initial: Record<string, string | null>): Form {
  return { ...form, fields: form.fields.map((f) => (f.name in initial ? { ...f, initial: initial[f.name] } : f)) };
}

/**
 * Builds the form. `choice` overrides what is selected (when the person picks another
 * configuration, the period dates follow its rule for today).
 */
export async function billAccountView(
  billing: Billing,
  meta: ModalMetadata,
  choice: { configuration?: string | null; account?: string | null } = {},
): Promise<ModalView> {
  const configurations = await billing.listConfigurations();
  if (configurations.length === 0) {
    return messageView('Bill account', 'There is no bill run configuration yet, so nothing can be billed. Create one first (see `/billing help`).');
  }
  let form = await buildForm(billing, meta.modal);
  if (choice.configuration) {
    const config = configurations.find((c) => c.name === choice.configuration);
    if (config) {
      const billingPeriod = periodFor(config, todayIn(config.timeZone, billing.clock.now()));
      form = withInitial(form, { configuration: config.name, from: billingPeriod.start, to: billingPeriod.end });
    }
  }
  if (choice.account !== undefined) form = withInitial(form, { account: choice.account });
  const initial = (name: string) => form.fields.find((f) => f.name === name)?.initial ?? null;
  const account = initial('account');
  const selected = configurations.find((c) => c.name === initial('configuration'));
  const describe = (c: (typeof configurations)[number]) =>
    c.periodRule === 'explicit' ? `${c.periodStart} to ${c.periodEnd}` : `period: ${c.periodRule}`;
  return formView(form, {
    callbackId: BILL_ACCOUNT_CALLBACK,
    meta,
    versioned: ['from', 'to'],
    dispatch: ['configuration'],
    elements: {
      account: accountPicker(account),
      configuration: {
        type: 'static_select',
        action_id: CONFIGURATION_ACTION,
        options: configurations.slice(0, 100).map((c) => option(c.name, c.name, describe(c))),
        ...(selected ? { initial_option: option(selected.name, selected.name, describe(selected)) } : {}),
      },
    },
  });
}

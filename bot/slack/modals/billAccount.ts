import { type Billing, type BillRunConfiguration, periodFor, todayIn } from '../../../billing';
import { buildForm, Form } from '../../commands/forms';
import { formView } from './formView';
import { choiceId, configurationOption, initialAccount } from './choices';
import { accountPicker, InputElement, messageView, ModalMetadata, ModalView, plain } from './kit';

/** The Bill Account modal (bare `/bill`): account, configuration, period, posting date, preview. */
export const BILL_ACCOUNT_CALLBACK = 'bill_account';
/** Choosing another configuration refills the period from its rule. */
export const CONFIGURATION_ACTION = 'bill_configuration';

function withInitial(form: Form, initial: Record<string, string | null>): Form {
  return { ...form, fields: form.fields.map((f) => (f.name in initial ? { ...f, initial: initial[f.name] } : f)) };
}

/** Up to this many configurations a static menu lists them all; past it an external menu searches them. */
export const STATIC_MENU_LIMIT = 100;

/**
 * The configuration menu: every configuration in a static menu when there are 100 or fewer;
 * otherwise an external menu (options/configurations.ts searches as the person types), which
 * shows the chosen one whatever its place.
 */
function configurationMenu(configurations: BillRunConfiguration[], selected: BillRunConfiguration | undefined): InputElement {
  const initial = selected ? { initial_option: configurationOption(selected) } : {};
  if (configurations.length <= STATIC_MENU_LIMIT) {
    return { type: 'static_select', action_id: CONFIGURATION_ACTION, options: configurations.map(configurationOption), ...initial };
  }
  return {
    type: 'external_select',
    action_id: CONFIGURATION_ACTION,
    min_query_length: 0,
    placeholder: plain(`Type part of the name (${configurations.length} configurations)`, 150),
    ...initial,
  };
}

/** The configuration a menu value (an id) or a name stands for. */
function findChoice(configurations: BillRunConfiguration[], chosen: string | null | undefined): BillRunConfiguration | undefined {
  if (!chosen) return undefined;
  const id = choiceId('configuration', chosen);
  return configurations.find((c) => (id !== null ? c.id === id : c.name === chosen));
}

/**
 * Builds the form. `choice` overrides what is selected (when the person picks another
 * configuration, the period dates follow its rule for today); its values are menu values (ids).
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
  const chosen = findChoice(configurations, choice.configuration);
  if (chosen) {
    const billingPeriod = periodFor(chosen, todayIn(chosen.timeZone, billing.clock.now()));
    form = withInitial(form, { configuration: chosen.name, from: billingPeriod.start, to: billingPeriod.end });
  }
  if (choice.account !== undefined) form = withInitial(form, { account: choice.account });
  const initial = (name: string) => form.fields.find((f) => f.name === name)?.initial ?? null;
  return formView(form, {
    callbackId: BILL_ACCOUNT_CALLBACK,
    meta,
    versioned: ['from', 'to'],
    dispatch: ['configuration'],
    elements: {
      account: accountPicker(await initialAccount(billing, initial('account'))),
      configuration: configurationMenu(configurations, findChoice(configurations, initial('configuration'))),
    },
  });
}

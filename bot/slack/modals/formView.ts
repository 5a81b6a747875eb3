import type { Form, FormField, FormValues } from '../../commands/forms';
import { blockId, InputElement, KnownBlock, metadata, ModalMetadata, ModalView, option, plain, ViewStateValues } from './kit';

/**
 * Turns a shared Form (bot/commands/forms.ts: the fields of a modal command, their labels,
 * hints and prefilled values) into a Slack modal, and a submission back into the form's
 * answers. Block ids are the field names, so a CommandSyntaxError's field names the block to
 * mark. Special fields (an account picker, a configuration list) replace the default element.
 */
export interface FormViewOptions {
  callbackId: string;
  meta: ModalMetadata;
  /** Elements to use instead of the default for the field type. */
  elements?: Record<string, InputElement>;
  /** Fields whose value comes from the metadata, not from an input (not shown). */
  hidden?: string[];
  /** Blocks shown above the inputs. */
  intro?: KnownBlock[];
  /** Fields whose block id carries the form's version, so a rebuilt view shows new initial values. */
  versioned?: string[];
  /** Fields whose changes are sent to the app at once (block_actions), e.g. to refill other fields. */
  dispatch?: string[];
  /** Multi-line text fields. */
  multiline?: string[];
}

function defaultElement(f: FormField, multiline: boolean): InputElement {
  const initial = f.initial ?? undefined;
  switch (f.type) {
    case 'date':
      return { type: 'datepicker', action_id: f.name, ...(initial ? { initial_date: initial } : {}) };
    case 'quantity':
      return {
        type: 'number_input',
        action_id: f.name,
        is_decimal_allowed: false,
        min_value: '1',
        max_value: '1000000',
        ...(initial ? { initial_value: initial } : {}),
      };
    case 'boolean': {
      const yes = option('Yes', 'yes');
      return { type: 'checkboxes', action_id: f.name, options: [yes], ...(initial === 'yes' ? { initial_options: [yes] } : {}) };
    }
    case 'amount':
    case 'text':
    case 'invoices':
      return {
        type: 'plain_text_input',
        action_id: f.name,
        max_length: multiline ? 500 : 200,
        ...(multiline ? { multiline: true } : {}),
        ...(initial ? { initial_value: initial } : {}),
      };
  }
}

export function formView(form: Form, o: FormViewOptions): ModalView {
  const inputs: KnownBlock[] = form.fields
    .filter((f) => !o.hidden?.includes(f.name))
    .map((f) => ({
      type: 'input',
      block_id: o.versioned?.includes(f.name) ? `${f.name}.${o.meta.version}` : f.name,
      label: plain(f.label),
      optional: f.optional,
      ...(f.hint ? { hint: plain(f.hint, 150) } : {}),
      ...(o.dispatch?.includes(f.name) ? { dispatch_action: true } : {}),
      element: o.elements?.[f.name] ?? defaultElement(f, !!o.multiline?.includes(f.name)),
    }));
  return {
    type: 'modal',
    callback_id: o.callbackId,
    private_metadata: metadata(o.meta),
    title: plain(form.title, 24),
    submit: plain(form.submit, 24),
    close: plain('Cancel', 24),
    blocks: [...(o.intro ?? []), ...inputs],
  };
}

/** The answers of a submitted form by field name, as the shared form expects them (text; blank is ''). */
export function formValues(form: Form, values: ViewStateValues, given: FormValues = {}): FormValues {
  const answers: FormValues = { ...given };
  for (const f of form.fields) {
    if (f.name in given) continue;
    const id = blockId(values, f.name);
    const element = id ? Object.values(values[id] ?? {})[0] : undefined;
    // Blank is the empty text, as the shell gives it: the shared form reads it as "not given".
    if (!element) {
      answers[f.name] = '';
      continue;
    }
    if (f.type === 'invoices' && element.selected_options) {
      answers[f.name] = element.selected_options.map((x) => x.value).join(' ');
      continue;
    }
    if (f.type === 'boolean') {
      answers[f.name] = element.selected_options?.some((x) => x.value === 'yes') ? 'yes' : 'no';
      continue;
    }
    const text = element.selected_option?.value ?? element.selected_date ?? element.value ?? null;
    answers[f.name] = text ?? '';
  }
  return answers;
}

/** The block to mark for a field (as named in this view), or the fallback field's block. */
export function fieldBlock(values: ViewStateValues, field: string | null, fallback: string): string {
  const id = (field && blockId(values, field)) || blockId(values, fallback);
  return id ?? fallback;
}

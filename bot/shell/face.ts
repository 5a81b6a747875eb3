import { CommandSyntaxError } from '../commands/errors';
import type { ModalCommand } from '../commands/schema';
import { buildForm, checkField, commandFromForm, Form, FormValues } from '../commands/forms';
import { ANSWERED, type Command, type CommandOf, type ExecutorServices, type Face, type Outcome, type Reply } from '../commands';
import { importChecked, importWorkbookFile, namedWorkbookFile } from '../commands/workbooks';
import type { WorkbookRuntime } from '../commands/types';
import { importIsReady } from '../render';

/** How the shell talks to its person: a line out, a question and its answer (null: the input ended). */
export interface ShellTalk {
  write: (text: string) => void;
  show: (outcome: Outcome) => void;
  ask: (question: string) => Promise<string | null>;
}

/**
 * What only the shell does: a command that opens a form in Slack asks the form's fields one
 * by one, and `/billing import <file>` asks before it applies the workbook.
 */
export function shellFace(talk: ShellTalk, services: ExecutorServices): Face {
  return {
    name: 'shell',
    fill: (modal) => fill(talk, services, modal),
    importWorkbook: (command, ctx) => {
      const rt = services.handlers?.workbooks as WorkbookRuntime;
      return command.dryRun ? importWorkbookFile(rt, command, ctx) : importAsked(talk, rt, command, ctx.actor);
    },
  };
}

/** Asks one field until its answer is fine; false when cancelled or the input ended. */
async function askField(talk: ShellTalk, form: Form, values: FormValues, name: string): Promise<boolean> {
  const f = form.fields.find((x) => x.name === name);
  if (!f) return false;
  if (f.choices?.length) talk.write(f.choices.map((c) => `  ${c.label}`).join('\n'));
  for (;;) {
    const answer = await talk.ask(`${f.label}${f.hint ? ` (${f.hint})` : ''}${f.initial ? ` [${f.initial}]` : ''}: `);
    if (answer === null) return false;
    const text = answer.trim();
    if (/^\/cancel$/i.test(text)) {
      talk.write('Cancelled; nothing was done.');
      return false;
    }
    const value = text === '-' ? '' : text === '' ? (f.initial ?? '') : text;
    const problem = checkField(form, f.name, value);
    if (problem) {
      talk.write(problem);
      continue;
    }
    values[f.name] = value;
    return true;
  }
}

/** Asks a form's fields one by one; null when cancelled or the input ended. */
async function fill(talk: ShellTalk, services: ExecutorServices, modal: ModalCommand): Promise<Command | null> {
  let form = await buildForm(services.billing, modal);
  talk.write(`${form.title}: answer each field. Enter keeps the value in [brackets], - leaves it blank, /cancel stops.`);
  const values: FormValues = {};
  for (let k = 0; k < form.fields.length; k++) {
    const name = form.fields[k].name;
    if (!(await askField(talk, form, values, name))) return null;
    // The later fields depend on this answer (a payment's account: its unpaid invoices to choose from).
    if (form.rebuildOn === name && values[name]) form = await buildForm(services.billing, { ...modal, [name]: values[name] } as ModalCommand);
  }
  // Rules across fields (both ends of a period): ask again for the field at fault.
  for (let attempt = 0; ; attempt++) {
    try {
      return commandFromForm(form, values);
    } catch (e) {
      if (!(e instanceof CommandSyntaxError) || !e.field || attempt >= 5) throw e;
      talk.write(e.message);
      if (!(await askField(talk, form, values, e.field))) return null;
    }
  }
}

/**
 * `/billing import <file>`: the file is read once and checked (nothing written), the
 * preview shown, and only a "yes" applies those same bytes, all or nothing.
 */
async function importAsked(talk: ShellTalk, rt: WorkbookRuntime, command: CommandOf<'billing.import'>, actor: string): Promise<Reply> {
  const file = await namedWorkbookFile(rt, command);
  const preview = await importChecked(rt, file, { actor, dryRun: true });
  talk.show(preview);
  if (!importIsReady(preview.result)) return ANSWERED;
  for (;;) {
    const answer = await talk.ask('Apply it? (yes/no) ');
    const word = answer?.trim().toLowerCase() ?? null;
    if (word === 'yes' || word === 'y') break;
    if (word === null || word === 'no' || word === 'n' || word === '') {
      talk.write(`Cancelled: nothing was imported from ${file.name}.`);
      return ANSWERED;
    }
    talk.write('Answer yes or no.');
  }
  return importChecked(rt, file, { actor, dryRun: false });
}

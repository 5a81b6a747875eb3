export { CommandSyntaxError } from './errors';
export { parseCommand, decodeSlackText, SLASH_COMMANDS } from './parse';
export type { SlashCommand, ParseOptions } from './parse';
export { commandSchema, validateCommand, USAGE } from './schema';
export { HELP } from './help';

export type { Command, CommandInput, CommandKind, CommandOf, ModalCommand, Role, HelpTopic } from './schema';
export { COMMANDS, entryOf, isModal, requiredRole } from './table';
export type { CommandEntry } from './table';
export { ANSWERED, executeCommand, errorOutcome, performCommand } from './execute';
export type { Outcome, OutcomeKind, CommandContext, CommandHandlers, ExecutorServices, Face, FaceName, InvoiceDetail, Reply, WorkbookKind } from './execute';
export type { ConfirmedChange } from './types';
export { buildForm, checkField, commandFromForm } from './forms';
export type { Form, FormField, FormValues, FieldType } from './forms';
export { loadWorkedExample } from './demo';
export { workbookHandlers, readWorkbookFile, importWorkbook, writeWorkbook, workbookFileName } from './workbooks';
export type { WorkbookHandlerOptions, WorkbookBytes } from './workbooks';

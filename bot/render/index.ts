/**
 * The one renderer (pure: data in, Block Kit and text out; it imports no face). Every message
 * and view billbot sends is built here; bot/slack posts them, the shell and the CLI print them
 * through blocksToText.
 */
export { renderBlocks } from './blocks';
export { LIST_LIMIT, plural } from './kit';
export type { KnownBlock, Rendered } from './kit';
export { billRunProgress, billRunRepeated, billRunScheduled, listsGoBeyondNotice, NOTICE_SHOWN, renderRunFailed, reportSummary, RESUME_BLOCK_ID, withResumeButton } from './bills';
export { reportThread, restOfLists } from './reportThread';
export { renderCreditConfirmation } from './credits';
export { documentUpload, INVOICE_PDF_BLOCK_ID, withPdfButton } from './documents';
export { renderPaymentConfirmation } from './payments';
export type { ScheduleView } from './schedules';
export {
  IMPORT_SUMMARY_BLOCK_ID,
  IMPORT_PROBLEMS_SHOWN,
  importCancelled,
  importDecidedBefore,
  importIsReady,
  workbookSummary,
  workbookUpload,
  withImportDecision,
} from './workbooks';
export type { DecidedImport, ImportDecisionIds } from './workbooks';
export {
  errorForPeople,
  REPORT_SHOWN,
  runEndedMessage,
  runInterruptedMessage,
  runInvoicesTitle,
  runNotStartedMessage,
  runProgressMessage,
  runStartedMessage,
} from './runReports';
export type { RunInterrupted, RunNotStarted, RunView } from './runReports';
export { agingChartComment, chartComment, chartSent } from './charts/messages';
export { blocksToText } from './text';
export { escapeMrkdwn, mrkdwnToText } from './mrkdwn';
export { formatDuration, formatLocalTime, slackTime } from './time';
export { HOME_BILL_ACTION, HOME_CREDIT_ACTION, HOME_EXPORT_ACTION, HOME_EXPORT_HELP, homeView, homeWithoutRole } from './home';
export type { HomeActions, HomeTab } from './home';

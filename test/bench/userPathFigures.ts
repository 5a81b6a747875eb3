/** The user path's figures (./userPath.ts measures them; ./userPathPasses.ts and ./userPathReport.ts read them). */
import type { AckLatency } from './slack';
import type { SheetRows } from './xlsxSheets';

export interface StepFigure {
  seconds: number;
  /** Peak resident memory of the process, MB (NaN when the preload could not report it). */
  peakMb: number;
}

export interface UserPathFigures {
  accounts: number;
  /** Size of the setup workbook, MB. */
  workbookMb: number;
  expected: { invoices: number; charges: number; accountPackages: number };
  import?: StepFigure;
  /** `billbot bill ... --preview` before the run: what it reported, and whether the database was left as it was. */
  preview?: StepFigure & { invoices: number; charges: number; wroteNothing: boolean };
  /** `runSeconds`: the run itself, from its start to its end as the database recorded them (the process's start and end aside). */
  run?: StepFigure & { runId: number; invoices: number; charges: number; runSeconds: number };
  /** The run's invoices and transactions, and the sheets of the file as read back (rows below each header). */
  export?: StepFigure & { invoices: number; transactions: number; sheets: SheetRows[] };
  /** Slack acknowledgements during the next month's run by the CLI, and that run. */
  slack?: AckLatency & { run: StepFigure & { invoices: number; charges: number } };
  floor?: { seconds: number; transactions: number; invoices: number; accountPackages: number };
  /** Run seconds over floor seconds. */
  ratioToFloor?: number;
  /** The step that failed and its sentence; the steps after it were skipped. */
  failed?: { step: string; error: string };
  /** Results that differ from the workbook's construction. */
  problems: string[];
  /** With more than one pass (./userPathPasses.ts): each pass's own figures; the fields above are the figures over them. */
  passes?: UserPathFigures[];
}

import type { WorkbookImportResult } from '../../sheets/changes';
import { escapeMrkdwn } from './mrkdwn';
import { list, plural, type KnownBlock } from './kit';

/** What the replies to both workbooks' imports share. */

/** Problems listed in an import's reply; the rest are counted. */
export const IMPORT_PROBLEMS_SHOWN = 20;
const IMPORT_WARNINGS_SHOWN = 10;

/** The block a face may give Confirm and Cancel buttons after (Slack does). */
export const IMPORT_SUMMARY_BLOCK_ID = 'workbook_import_summary';

/** An import's problems (the first IMPORT_PROBLEMS_SHOWN, the rest counted) and warnings, as lists. */
export function problemAndWarningBlocks(result: Pick<WorkbookImportResult, 'problems' | 'totalProblems' | 'warnings'>): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  if (result.totalProblems > 0) {
    const shown = result.problems.slice(0, IMPORT_PROBLEMS_SHOWN).map((p) => escapeMrkdwn(p.message));
    const more = result.totalProblems - shown.length;
    if (more > 0) shown.push(`…and ${plural(more, 'more problem', 'more problems')}`);
    blocks.push(...list(plural(result.totalProblems, 'problem'), shown, IMPORT_PROBLEMS_SHOWN + 1));
  }
  if (result.warnings.length) {
    const shown = result.warnings.slice(0, IMPORT_WARNINGS_SHOWN).map((w) => escapeMrkdwn(w.message));
    const more = result.warnings.length - shown.length;
    if (more > 0) shown.push(`…and ${plural(more, 'more warning', 'more warnings')}`);
    blocks.push(...list(plural(result.warnings.length, 'warning'), shown, IMPORT_WARNINGS_SHOWN + 1));
  }
  return blocks;
}


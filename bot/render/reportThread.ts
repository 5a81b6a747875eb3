import type { BillRunReport } from '../../billing';
import { escapeMrkdwn } from './mrkdwn';
import { billedLine, invoiceLine, packagesIn, skippedLine } from './bills';
import { grouped, MAX_SECTION, plural, section, type KnownBlock, type Rendered } from './kit';

/**
 * A bill run's lists as replies in its notice's thread: the invoices, then the packages
 * skipped (what someone must act on), then the packages billed, as far as `messages` Slack
 * messages hold them (each within Slack's limits: 50 blocks, ~10,000 characters of blocks,
 * 3,000 a section); what is left out is counted from the run's totals, and `rest` says where
 * it is (the run's invoices workbook; a preview has none).
 */

/** The block text one thread message carries at most (Slack refuses ~12,000; kept well below). */
export const THREAD_MESSAGE_TEXT = 8_500;
const THREAD_MESSAGE_BLOCKS = 40;
/** Room kept in the last message for each list's "…and N more" line and the pointer. */
const RESERVE = 1_200;
/**
 * Lines per list for each message the thread may take: the invoices first, but the packages
 * skipped (what someone must act on) and billed keep their share even when long names fill
 * the messages fast.
 */
const PER_MESSAGE = { invoices: 12, skipped: 8, billed: 6 } as const;

interface ThreadList {
  title: string;
  /** Lines of this list the thread shows at most. */
  cap: number;
  lines: string[];
  /** How many the whole list has in the run (its totals, not the rows fetched). */
  total: number;
  /** Counts the lines shown in the list's own unit (packages billed count (account, package) pairs). */
  counted?: (shown: number) => number;
  noun: [string, string];
}

/** Packs lines into sections and sections into messages, within the limits. */
class Packer {
  readonly messages: string[][] = [[]];
  private current = '';
  private used = 0;

  constructor(private readonly maxMessages: number) {}

  private get last(): boolean {
    return this.messages.length >= this.maxMessages;
  }

  /** Adds a line; false when there is no room left for it (`force`: into the reserve). */
  add(line: string, force = false): boolean {
    const cost = line.length + 1;
    const room = THREAD_MESSAGE_TEXT - (this.last && !force ? RESERVE : 0);
    const blocks = this.messages[this.messages.length - 1].length + 1;
    if (this.used + cost > room || blocks > THREAD_MESSAGE_BLOCKS) {
      if (this.last) {
        if (!force) return false;
      } else {
        this.flush();
        this.messages.push([]);
        this.used = 0;
        return this.add(line, force);
      }
    }
    if (this.current.length + cost > MAX_SECTION) this.flush();
    this.current = this.current ? `${this.current}\n${line}` : line;
    this.used += cost;
    return true;
  }

  /** Ends the current section (a list starts a section of its own). */
  flush(): void {
    if (this.current) this.messages[this.messages.length - 1].push(this.current);
    this.current = '';
  }
}

export function reportThread(report: BillRunReport, options: { messages: number; rest: string }): Rendered[] {
  const { totals } = report;
  const most = Math.max(1, options.messages);
  const verb = report.preview ? 'it would create' : 'created';
  const lists: ThreadList[] = [
    { title: `Invoices ${verb}`, cap: PER_MESSAGE.invoices * most, lines: report.invoices.map(invoiceLine), total: totals.invoicesCreated, noun: ['invoice', 'invoices'] },
    { title: 'Packages skipped', cap: PER_MESSAGE.skipped * most, lines: report.skipped.map(skippedLine), total: totals.packagesSkipped, noun: ['package', 'packages'] },
    {
      title: 'Packages billed',
      cap: PER_MESSAGE.billed * most,
      lines: report.billed.map(billedLine),
      total: totals.packagesBilled,
      counted: (shown) => packagesIn(report.billed.slice(0, shown)),
      noun: ['package', 'packages'],
    },
  ];
  const packer = new Packer(most);
  let leftOut = false;
  for (const l of lists) {
    if (l.total === 0 && l.lines.length === 0) continue;
    packer.add(`*${l.title} (${grouped(Math.max(l.total, l.lines.length))})*`, true);
    let shown = 0;
    while (shown < Math.min(l.cap, l.lines.length) && packer.add(`• ${l.lines[shown]}`)) shown += 1;
    const more = Math.max(0, l.total - (l.counted ? l.counted(shown) : shown), l.lines.length - shown);
    if (more > 0) {
      packer.add(`…and ${plural(more, `more ${l.noun[0]}`, `more ${l.noun[1]}`, grouped)}`, true);
      leftOut = true;
    }
    packer.flush();
  }
  if (leftOut) packer.add(`_${options.rest}_`, true);
  packer.flush();
  const messages = packer.messages.filter((m) => m.length > 0);
  return messages.map((sections, i) => {
    const blocks: KnownBlock[] = sections.map((s) => section(s));
    const part = messages.length > 1 ? ` (${i + 1} of ${messages.length})` : '';
    return { text: `The lists of ${report.preview ? 'the preview' : `bill run #${report.run.id}`}${part}`, blocks };
  });
}

/** Where the rest of a run's lists is: its invoices workbook (a preview writes nothing, so it has none). */
export function restOfLists(report: BillRunReport, workbookInThread: boolean): string {
  if (report.preview) {
    return `A preview writes nothing, so it has no workbook: bill the run to get every invoice in its invoices workbook, or preview one account (\`${escapeMrkdwn('/bill <account> preview')}\`).`;
  }
  const where = workbookInThread ? "the run's invoices workbook in this thread, or " : '';
  return `Every invoice is in ${where}\`/billing export invoices run ${report.run.id}\`; the run's totals are complete.`;
}

import type { Outcome } from '../commands/execute';
import { HELP, HelpTopic } from '../commands/help';
import { escapeMrkdwn } from './mrkdwn';
import { capBlocks, context, header, list, section, type KnownBlock, type Rendered } from './kit';
import { renderReport, renderRunResuming, renderRunStarted, renderRunStatus } from './bills';
import { renderChartWritten } from './charts/messages';
import { renderCredit, renderCreditDisbursed, renderCreditList } from './credits';
import { renderDocumentWritten } from './documents';
import { renderInvoice, renderInvoiceList } from './invoices';
import { renderPayment, renderPaymentList } from './payments';
import { renderAging, renderDigestChanged, renderStatement } from './receivables';
import { renderScheduleChanged, renderSchedules } from './schedules';
import { renderImport, renderWorkbookWritten } from './workbooks';

/**
 * The one renderer: an Outcome as Block Kit for Slack, and (through blocksToText) as plain
 * text for the shell and the CLI. Every piece of user-provided text goes through
 * escapeMrkdwn; money goes through Money.format.
 */

export function renderBlocks(outcome: Outcome): Rendered {
  const rendered = renderOutcome(outcome);
  return { text: rendered.text, blocks: capBlocks(rendered.blocks) };
}

function renderOutcome(outcome: Outcome): Rendered {
  switch (outcome.kind) {
    case 'bill.report':
      return renderReport(outcome.report);
    case 'credit':
      return renderCredit(outcome.action, outcome.credit);
    case 'credit.disbursed':
      return renderCreditDisbursed(outcome);
    case 'credit.list':
      return renderCreditList(outcome.account, outcome.credits);
    case 'payment':
      return renderPayment(outcome.action, outcome.payment);
    case 'payment.list':
      return renderPaymentList(outcome.account, outcome.payments);
    case 'invoice':
      return renderInvoice(outcome.invoice);
    case 'invoice.list':
      return renderInvoiceList(outcome);
    case 'help':
      return renderHelp(outcome.topic);
    case 'receivables.aging':
      return renderAging(outcome.report);
    case 'receivables.statement':
      return renderStatement(outcome.statement);
    case 'digest.changed':
      return renderDigestChanged(outcome);
    case 'schedule.list':
      return renderSchedules(outcome.schedules);
    case 'schedule.changed':
      return renderScheduleChanged(outcome.action, outcome.changed, outcome.schedule);
    case 'bill.started':
      return renderRunStarted(outcome);
    case 'bill.resuming':
      return renderRunResuming(outcome);
    case 'bill.status':
      return renderRunStatus(outcome.report, outcome.remaining, outcome.resumeWith);
    case 'workbook.written':
      return renderWorkbookWritten(outcome.workbook, outcome.file, outcome.rows);
    case 'workbook.import':
      return renderImport(outcome.file, outcome.result);
    case 'document.written':
      return renderDocumentWritten(outcome);
    case 'chart.written':
      return renderChartWritten(outcome);
    case 'notice': {
      const text = escapeMrkdwn(outcome.text);
      return { text, blocks: [...(outcome.title ? [header(outcome.title)] : []), section(text)] };
    }
    case 'error': {
      const text = escapeMrkdwn(outcome.message);
      return { text, blocks: [section(text)] };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Help

const TOPIC_TITLES: Record<HelpTopic, string> = { bill: 'Billing', credit: 'Credits', payment: 'Payments', billing: 'More' };

function renderHelp(topic: HelpTopic | null): Rendered {
  const topics: HelpTopic[] = topic ? [topic] : ['bill', 'credit', 'payment', 'billing'];
  const blocks: KnownBlock[] = [header('billbot commands')];
  for (const t of topics) {
    blocks.push(
      ...list(
        TOPIC_TITLES[t],
        HELP.filter((h) => h.topic === t).map((h) => `\`${escapeMrkdwn(h.usage)}\` — ${escapeMrkdwn(h.description)}`),
        50,
      ),
    );
  }
  blocks.push(context('Names with spaces may be typed plainly or in double quotes. Dates are YYYY-MM-DD. Credits are written CR-7, payments PM-000001, invoices INV-000018 or 18.'));
  return { text: 'billbot commands: /bill, /credit, /payment and /billing (see /billing help).', blocks };
}

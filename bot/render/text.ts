import type { types } from '@slack/bolt';
import { mrkdwnToText } from './mrkdwn';

/**
 * Block Kit as plain text for a terminal (the shell, the CLI): headers underlined, sections
 * and fields one per line, context as a small print line, dividers as a rule, buttons as
 * [Label]. mrkdwn is read (mentions, links, entities) but *bold* marks are kept.
 */
type AnyBlock = types.AnyBlock;
type Text = { type: string; text?: string } | undefined;

function textOf(t: Text): string {
  if (!t || typeof t.text !== 'string') return '';
  return t.type === 'mrkdwn' ? mrkdwnToText(t.text) : t.text;
}

function elementText(e: unknown): string {
  const el = e as { type?: string; text?: unknown; alt_text?: string; placeholder?: Text };
  if (el.type === 'image') return el.alt_text ? `[${el.alt_text}]` : '';
  if (el.type === 'button') return `[${textOf(el.text as Text)}]`;
  if (el.type === 'mrkdwn' || el.type === 'plain_text') return textOf(el as Text);
  if (typeof el.text === 'string') return el.text;
  if (el.placeholder) return `[${textOf(el.placeholder)}]`;
  return '';
}

/** Rich text is nested element lists; its leaves carry text, links, users and emoji. */
function richText(node: unknown): string {
  const n = node as { type?: string; text?: string; url?: string; user_id?: string; name?: string; elements?: unknown[] };
  if (Array.isArray(n.elements)) {
    const inner = n.elements.map(richText);
    return n.type === 'rich_text_list' ? inner.map((l) => `• ${l}`).join('\n') : inner.join(n.type === 'rich_text' ? '\n' : '');
  }
  if (n.type === 'link') return n.text && n.text !== n.url ? `${n.text} (${n.url})` : (n.url ?? '');
  if (n.type === 'user') return `@${n.user_id ?? ''}`;
  if (n.type === 'emoji') return `:${n.name ?? ''}:`;
  return n.text ?? '';
}

function blockText(block: AnyBlock): string[] {
  const b = block as AnyBlock & Record<string, unknown>;
  switch (b.type) {
    case 'header': {
      const title = textOf(b.text as Text);
      return [title, '='.repeat(Math.min(Math.max(title.length, 3), 72))];
    }
    case 'section': {
      const lines: string[] = [];
      const main = textOf(b.text as Text);
      if (main) lines.push(main);
      for (const f of (b.fields as Text[] | undefined) ?? []) lines.push(textOf(f));
      if (b.accessory) {
        const accessory = elementText(b.accessory);
        if (accessory) lines.push(accessory);
      }
      return lines;
    }
    case 'context':
      return [((b.elements as unknown[]) ?? []).map(elementText).filter(Boolean).join('  ·  ')];
    case 'divider':
      return ['-'.repeat(40)];
    case 'actions':
      return [((b.elements as unknown[]) ?? []).map(elementText).filter(Boolean).join(' ')];
    case 'input':
      return [`${textOf(b.label as Text)}: ${elementText(b.element)}`.trim()];
    case 'image':
      return [`[image: ${String(b.alt_text ?? '')}]`];
    case 'markdown':
      return [String(b.text ?? '')];
    case 'rich_text':
      return [richText(b)];
    default: {
      // Other blocks: whatever text they carry.
      const fallback = textOf(b.text as Text) || textOf(b.title as Text);
      return fallback ? [fallback] : [];
    }
  }
}

export function blocksToText(blocks: readonly AnyBlock[]): string {
  const out: string[] = [];
  blocks.forEach((block, index) => {
    if (index > 0 && (block.type === 'header' || block.type === 'section')) out.push('');
    out.push(...blockText(block));
  });
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

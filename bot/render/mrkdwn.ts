/**
 * Slack mrkdwn helpers. Text people typed (account names, credit details) is shown
 * literally: &, < and > are escaped, so "<!channel>" or "<@U123>" in a name never becomes a
 * mention or a link. The only control sequences Slack reads are made of those characters.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped and bold. */
export function bold(text: string): string {
  return `*${escapeMrkdwn(text)}*`;
}

/**
 * mrkdwn as a person reads it in plain text: links, mentions and channel references become
 * their labels, entities are undone; *bold*, _italic_ and `code` marks are kept (they read fine).
 */
export function mrkdwnToText(text: string): string {
  return text
    .replace(/<([^<>]+)>/g, (_, inner: string) => {
      const bar = inner.indexOf('|');
      const target = bar >= 0 ? inner.slice(0, bar) : inner;
      const label = bar >= 0 ? inner.slice(bar + 1) : null;
      if (target.startsWith('@')) return label ? `@${label}` : target;
      if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
      if (target.startsWith('!')) {
        const special = target.slice(1).split('^')[0];
        return label ?? `@${special}`;
      }
      const url = target.replace(/^mailto:/, '');
      return label && label !== url ? `${label} (${url})` : url;
    })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

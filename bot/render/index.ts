export { renderBlocks, LIST_LIMIT } from './blocks';
export type { KnownBlock, Rendered } from './blocks';
export { blocksToText } from './text';
export { escapeMrkdwn, mrkdwnToText } from './mrkdwn';

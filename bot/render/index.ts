export { renderBlocks, LIST_LIMIT, RESUME_BLOCK_ID } from './blocks';
export type { KnownBlock, Rendered } from './blocks';
export { blocksToText } from './text';
export { escapeMrkdwn, mrkdwnToText } from './mrkdwn';

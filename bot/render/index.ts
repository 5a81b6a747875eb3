export { renderBlocks, LIST_LIMIT, RESUME_BLOCK_ID, IMPORT_SUMMARY_BLOCK_ID, IMPORT_PROBLEMS_SHOWN, importIsReady, workbookSummary } from './blocks';
export type { KnownBlock, Rendered } from './blocks';
export { blocksToText } from './text';
export { escapeMrkdwn, mrkdwnToText } from './mrkdwn';

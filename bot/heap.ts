import v8 from 'node:v8';

/**
 * How far V8 lets its heap grow past what is live after a full collection before the next
 * one: 30 % (V8's own choice goes up to 300 %). Imported first by the two entry points
 * (`npm start` and the `billbot` CLI), before anything is allocated. A big import or bill run
 * allocates gigabytes of short-lived values (a workbook's rows as read, the statements'
 * parameters); with V8's default the garbage between collections, not what is live, set the
 * peak memory. A setup import of 400,000 accounts + 400,000 account packages read from a file
 * in one process peaked at about 500 MB with about 90 MB live, at about 290 MB with 50 %; one
 * of 1,000,000 + 1,000,000 at 514 MB with 50 %, 447 MB with 30 %, 424 MB with 20 % (slower).
 * The cost is more frequent collections of a heap that stays small.
 */
export const HEAP_GROWING_PERCENT = 30;

v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);

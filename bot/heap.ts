import v8 from 'node:v8';

/**
 * How far V8 lets its heap grow past what is live after a full collection before the next
 * one: 50 % (V8's own choice goes up to 300 %). Imported first by the two entry points
 * (`npm start` and the `billbot` CLI), before anything is allocated. A big import or bill run
 * allocates gigabytes of short-lived values (a workbook's rows as read, the statements'
 * parameters); with V8's default the garbage between collections, not what is live, set the
 * peak memory: a setup import of 400,000 accounts + 400,000 account packages peaked at about
 * 500 MB with about 90 MB live, and at about 290 MB with this (test/bench/RESULTS.md,
 * "Workbook limits and import memory"). The cost is more frequent collections of a heap that
 * stays small.
 */
export const HEAP_GROWING_PERCENT = 50;

v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);

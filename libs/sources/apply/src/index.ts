export { PartitionLanes } from './partition-lanes';
export { COALESCE_MAX_BYTES, CoalescedBatch, FETCH_BYTES_PER_PARTITION } from './coalesced-batch';
export type { DeadLetterOut } from './batch-applier';
export { BatchAppliers } from './batch-appliers';
export { packMessages, type FetchedBatch, type OffsetSpan } from './message-split';

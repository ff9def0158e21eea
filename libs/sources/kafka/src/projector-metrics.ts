/** The projector's counters, exposed in Prometheus text format. */
export class ProjectorMetrics {
  applied = 0;
  duplicates = 0;
  deadLetters = 0;
  batches = 0;
  lag = 0;
  private readonly buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  private readonly counts = new Array<number>(this.buckets.length + 1).fill(0);
  private durationSum = 0;

  observeBatch(seconds: number): void {
    this.batches++;
    this.durationSum += seconds;
    const i = this.buckets.findIndex((b) => seconds <= b);
    this.counts[i === -1 ? this.buckets.length : i]++;
  }

  prometheus(): string {
    let cumulative = 0;
    const histogram = this.buckets.map((b, i) => {
      cumulative += this.counts[i];
      return `casestats_batch_duration_seconds_bucket{le="${b}"} ${cumulative}`;
    });
    return [
      '# HELP casestats_events_applied_total Events applied to the projection (first delivery).',
      '# TYPE casestats_events_applied_total counter',
      `casestats_events_applied_total ${this.applied}`,
      '# HELP casestats_duplicates_total Events skipped because their id was already applied.',
      '# TYPE casestats_duplicates_total counter',
      `casestats_duplicates_total ${this.duplicates}`,
      '# HELP casestats_dead_letters_total Invalid events sent to the dead-letter topic.',
      '# TYPE casestats_dead_letters_total counter',
      `casestats_dead_letters_total ${this.deadLetters}`,
      '# HELP casestats_lag Messages behind the end of the topic, summed over partitions.',
      '# TYPE casestats_lag gauge',
      `casestats_lag ${this.lag}`,
      '# HELP casestats_batch_duration_seconds Time to apply one partition batch.',
      '# TYPE casestats_batch_duration_seconds histogram',
      ...histogram,
      `casestats_batch_duration_seconds_bucket{le="+Inf"} ${this.batches}`,
      `casestats_batch_duration_seconds_sum ${this.durationSum}`,
      `casestats_batch_duration_seconds_count ${this.batches}`,
      '',
    ].join('\n');
  }
}

import type { DataSource } from 'typeorm';
import { parseEvent, type CaseStatsEvent } from '@casestats/events';
import { simulate, type SimulationOptions } from '@casestats/simulator';
import { applyBatch, sweepDueCases } from '@casestats/read-model';

/** Projects a simulated stream through applyBatch, then completes by time what is due at `sweepAt`. */
export async function projectSimulation(db: DataSource, options: SimulationOptions, sweepAt: number, schema = 'proj_1'): Promise<void> {
  let batch: CaseStatsEvent[] = [];
  for (const wire of simulate(options)) {
    const parsed = parseEvent(JSON.stringify(wire));
    if (parsed.ok) batch.push(parsed.event);
    if (batch.length === 2000) {
      await applyBatch(db, schema, { events: batch });
      batch = [];
    }
  }
  await applyBatch(db, schema, { events: batch });
  await sweepDueCases(db, schema, sweepAt);
}

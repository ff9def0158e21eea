import { Client } from 'pg';

/**
 * Grows a projected database to `n` cases of a channel by cloning one existing record under new
 * ids, one day apart in creation minutes — a quick way to make an export take a while in a test.
 */
export async function cloneCases(url: string, channelId: string, sourceCaseId: string, n: number): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO proj_1.case_records
       SELECT (r).channel_id, 'clone-' || g || '-1', (r).case_created_at + (g || ' seconds')::interval, (r).user_chat_case,
              (r).case_state, (r).case_updated_at, 'clone-' || g, (r).direction, (r).user_chat_state,
              (r).team_id, (r).team_name, (r).assignee_id, (r).assignee_name, (r).manager_ids, (r).manager_names,
              (r).user_id, (r).user_name, (r).created_at, (r).first_queued_at, (r).first_opened_at, (r).first_asked_at,
              (r).first_replied_at, (r).closed_at, (r).waiting_time, (r).total_reply_time, (r).reply_count, (r).avg_reply_time,
              (r).resolution_time, (r).total_snoozed_time, (r).lead_time, (r).snoozed_count, (r).missed_count, (r).description,
              (r).summarized_message, (r).tags, (r).medium_name, (r).medium_sender_name, (r).marketing_type, (r).marketing_id,
              (r).workflow_id, (r).page, (r).priority, (r).profile
         FROM (SELECT r FROM proj_1.case_records r WHERE channel_id = $1 AND user_chat_case_id = $2) s, generate_series(1, $3) g`,
      [channelId, sourceCaseId, n],
    );
  } finally {
    await c.end();
  }
}

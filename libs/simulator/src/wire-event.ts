/** An event as the platform publishes it (events.md): what the simulator writes to a file or a topic. */
export interface WireEvent {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  channelId: string;
  userChatId?: string;
  data: Record<string, unknown>;
}

/** The Kafka key the platform uses: the chat, or the user for `user.updated`. */
export function wireKey(event: WireEvent): string {
  return event.userChatId ?? String((event.data.user as { id: string }).id);
}

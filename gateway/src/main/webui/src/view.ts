/** What a page gets: its route's parameters and a place to register what to stop when the user leaves it. */
export interface View {
  params: string[];
  query: URLSearchParams;
  onLeave(stop: () => void): void;
  /** Shows the route again (after an action changed what it shows). */
  refresh(): void;
}

export type PageFn = (view: View) => Promise<Node>;

/** Reads a field whichever way it is spelled: the API writes snake_case, events in it keep camelCase. */
export function field(o: any, snake: string): any {
  if (!o) return undefined;
  if (o[snake] !== undefined) return o[snake];
  return o[snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
}

import { readFileSync } from "node:fs";
import path from "node:path";
import type { APIRequestContext } from "@playwright/test";

/** The test receiver start-herald.sh started: HTTPS for hooks.herald.test, a plain control API. */
function info(): { port: number; controlPort: number } {
  return JSON.parse(readFileSync(path.join(__dirname, "..", "..", ".data", "receiver.json"), "utf8"));
}

/** The endpoint URL of `route` on the receiver, as a webhook's URL. */
export function endpoint(route: string): string {
  return `https://hooks.herald.test:${info().port}${route}`;
}

export type Answer = { status: number; headers?: [string, string][]; body?: string; delayMs?: number };

/** What the receiver answers on `route`, in order (the last one repeats). */
export async function plan(request: APIRequestContext, route: string, answers: Answer[]): Promise<void> {
  const response = await request.put(
    `http://127.0.0.1:${info().controlPort}/plans?path=${encodeURIComponent(route)}`,
    { data: answers },
  );
  if (!response.ok()) throw new Error(`planning ${route} failed: ${response.status()}`);
}

export type Received = { method: string; path: string; headers: [string, string][]; body: string };

/** Every request the receiver got on `route`. */
export async function received(request: APIRequestContext, route: string): Promise<Received[]> {
  const response = await request.get(`http://127.0.0.1:${info().controlPort}/received`);
  const all = (await response.json()) as Received[];
  return all.filter((r) => r.path === route);
}

export function header(request: Received, name: string): string | undefined {
  return request.headers.find(([n]) => n === name.toLowerCase())?.[1];
}

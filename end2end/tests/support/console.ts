import type { Page } from "@playwright/test";
import { waitForHydration } from "./fixtures";

/**
 * Calls one of the console's server functions with the page's session, as the console itself
 * does (same origin), to set up what a spec needs quickly: the flows under test go through
 * the UI.
 */
export async function call<T = any>(page: Page, name: string, body: unknown = {}): Promise<T> {
  const origin = new URL(page.url()).origin;
  const response = await page.request.post(`/api/${name}`, { data: body, headers: { Origin: origin } });
  if (!response.ok()) {
    throw new Error(`${name} answered ${response.status()}: ${await response.text()}`);
  }
  return (await response.json()) as T;
}

export type Webhook = {
  id: string;
  name: string;
  url: string;
  enabled: boolean;
  secretKeyAdded: boolean;
  updatedAt: string;
  encryptedHeaders: string[];
};

/** Creates a webhook for `com.qlik.v1.app.created` unless the draft says otherwise. */
export async function createWebhook(page: Page, draft: Record<string, unknown>): Promise<Webhook> {
  return call<Webhook>(page, "create_webhook", {
    draft: { eventTypes: ["com.qlik.v1.app.created"], ...draft },
  });
}

/** A name no other spec uses, so specs sharing one database can filter to their own rows. */
export function uniqueName(prefix: string): string {
  return `${prefix} ${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** Opens the webhooks page filtered to names containing `name` (`extra`: more of the query) and waits for hydration. */
export async function openWebhooks(page: Page, name: string, extra = ""): Promise<void> {
  await page.goto(`/webhooks?name=${encodeURIComponent(name)}${extra}`);
  await waitForHydration(page);
}

/** Opens the row menu (⋯) of the webhook named `name` and picks `item`. */
export async function rowAction(page: Page, name: string, item: string): Promise<void> {
  await page.locator(`tr[data-webhook="${name}"]`).getByRole("button", { name: `Actions for ${name}` }).click();
  await page.getByRole("menuitem", { name: item }).click();
}

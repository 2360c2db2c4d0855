import { test, expect } from "./support/fixtures";
import { ADMIN, signIn } from "./support/accounts";
import { call, createWebhook, uniqueName, openWebhooks, rowAction } from "./support/console";
import { endpoint, plan } from "./support/receiver";
import { saveScreenshot } from "./support/screenshots";

test("a test event shows in the open history, with its request and response, and can be resent", async ({ page, request }, info) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const name = uniqueName("History");
  const route = `/history-${Date.now()}`;
  await plan(request, route, [{ status: 200, headers: [["x-receiver", "e2e"]], body: '{"ok":true}' }]);
  await createWebhook(page, {
    name,
    url: endpoint(route),
    eventTypes: ["com.qlik.v1.app.created", "com.qlik.v1.app.reload.finished"],
    secret: "history secret history secret history",
    encryptedHeaders: { "X-Token": "never shown" },
  });
  await openWebhooks(page, name);
  const row = page.locator(`tr[data-webhook="${name}"]`);

  // Send test event, choosing the type.
  await rowAction(page, name, "Send test event");
  const dialog = page.getByRole("dialog", { name: `Send a test event to “${name}”` });
  await dialog.getByLabel("Event type").selectOption("com.qlik.v1.app.reload.finished");
  await dialog.getByRole("button", { name: "Send test event" }).click();
  await expect(dialog.getByRole("status")).toContainText("Delivered — HTTP 200 in");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();

  // The history opened under the row and lists the delivery.
  const expander = row.getByRole("button", { name: `Delivery history of ${name}` });
  await expect(expander).toHaveAttribute("aria-expanded", "true");
  const history = page.getByRole("region", { name: `Deliveries of “${name}”` });
  const first = history.locator("tr[data-delivery]").first();
  await expect(first).toContainText("com.qlik.v1.app.reload.finished");
  await expect(first).toContainText("success");
  await expect(first).toContainText("test");
  await expect(first.getByRole("cell").nth(4), "the response code").toHaveText("200");

  // Its request and response.
  await first.getByRole("button", { name: "Details" }).click();
  const details = history.locator(".delivery-details");
  await expect(details.getByRole("region", { name: "Request" })).toContainText(`POST ${endpoint(route)}`);
  await expect(details).toContainText("Qlik-Signature");
  await expect(details).toContainText("X-Token");
  await expect(details).toContainText("**OMITTED**");
  await expect(details).not.toContainText("never shown");
  await expect(details.locator("pre.payload").first()).toContainText('"eventType": "com.qlik.v1.app.reload.finished"');
  const attempts = details.getByRole("region", { name: "Attempts" });
  await expect(attempts).toContainText("Attempt 1");
  await expect(attempts).toContainText("HTTP 200");
  await expect(attempts).toContainText("x-receiver");
  await expect(attempts).toContainText('"ok": true');
  await saveScreenshot(info, "expanded-history", page);

  // Resend makes a new, manual delivery and says how it went.
  await first.getByRole("button", { name: "Resend" }).click();
  await expect(history.getByRole("status")).toContainText("Resent: Delivered — HTTP 200");
  await expect(history.locator("tr[data-delivery]")).toHaveCount(2);
  await expect(history.locator("tr[data-delivery]").first()).toContainText("manual");

  // A failing delivery: the status filter finds it.
  await plan(request, route, [{ status: 500, body: "broken" }]);
  await first.getByRole("button", { name: "Resend" }).click();
  await expect(history.getByRole("status")).toContainText("Resent: Failed — HTTP 500");
  await history.getByLabel("Status").selectOption("fail");
  await expect(history.locator("tr[data-delivery]")).toHaveCount(1);
  await expect(history.locator("tr[data-delivery]")).toContainText("fail");
  await history.getByLabel("Status").selectOption("");
  await expect(history.locator("tr[data-delivery]")).toHaveCount(3);
});

test("events published while the history is open appear without a reload", async ({ page, request }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const name = uniqueName("Live");
  const route = `/live-${Date.now()}`;
  await plan(request, route, [{ status: 204 }]);
  await createWebhook(page, { name, url: endpoint(route) });
  const people = await call<{ id: string; email: string }[]>(page, "people");
  const admin = people.find((person) => person.email === ADMIN.email)!;
  const key = await call<{ key: string }>(page, "create_api_key", {
    owner_id: admin.id,
    name: uniqueName("publisher"),
    scopes: ["events:publish"],
  });

  await openWebhooks(page, name);
  await page.getByRole("button", { name: `Delivery history of ${name}` }).click();
  const history = page.getByRole("region", { name: `Deliveries of “${name}”` });
  await expect(history).toContainText("No deliveries in the last 7 days");

  const published = await request.post("/api/v1/events", {
    headers: { Authorization: `Bearer ${key.key}`, "Content-Type": "application/cloudevents+json" },
    data: {
      specversion: "1.0",
      id: `live-${Date.now()}`,
      source: "com.example.e2e",
      type: "com.qlik.v1.app.created",
      time: new Date().toISOString(),
      data: { name: "Sales" },
    },
  });
  expect(published.status()).toBe(202);
  await expect(history.locator("tr[data-delivery]")).toHaveCount(1, { timeout: 15_000 });
  await expect(history.locator("tr[data-delivery]")).toContainText("automatic");
  await expect(history.locator("tr[data-delivery]")).toContainText("success");
});

test("the history pages by ten, newest first", async ({ page, request }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const name = uniqueName("Paged");
  const route = `/paged-${Date.now()}`;
  await plan(request, route, [{ status: 204 }]);
  const webhook = await createWebhook(page, { name, url: endpoint(route) });
  const sent: string[] = [];
  for (let n = 0; n < 12; n++) {
    sent.push(await call<string>(page, "send_test_event", { webhook_id: webhook.id, event_type: "com.qlik.v1.app.created" }));
    // Distinct trigger times, so "newest first" has one answer.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const newestFirst = [...sent].reverse();

  await openWebhooks(page, name);
  await page.getByRole("button", { name: `Delivery history of ${name}` }).click();
  const history = page.getByRole("region", { name: `Deliveries of “${name}”` });
  const shown = () => history.locator("tr[data-delivery]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-delivery")));
  await expect.poll(shown).toEqual(newestFirst.slice(0, 10));
  await expect(history.getByRole("button", { name: "← Newer" })).toHaveCount(0);
  await history.getByRole("button", { name: "Older →" }).click();
  await expect.poll(shown).toEqual(newestFirst.slice(10));
  await expect(history.getByRole("button", { name: "Older →" })).toHaveCount(0);
  await history.getByRole("button", { name: "← Newer" }).click();
  await expect.poll(shown).toEqual(newestFirst.slice(0, 10));
});

import { createHmac } from "node:crypto";
import { test, expect } from "./support/fixtures";
import { ADMIN, signIn } from "./support/accounts";
import { call, createWebhook, uniqueName, type Webhook, openWebhooks, rowAction } from "./support/console";
import { endpoint, header, plan, received } from "./support/receiver";
import { saveScreenshot } from "./support/screenshots";

test("the create panel shows each rule beside its field, keeps what was typed, then creates", async ({ page }, info) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const name = uniqueName("Orders");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  const panel = page.getByRole("dialog", { name: "Create webhook" });
  await expect(panel).toBeVisible();

  // Leaving a field shows its rule at once; submitting shows every rule.
  await panel.getByLabel("URL").fill("http://hooks.example.com/in");
  await panel.getByLabel("Name", { exact: true }).focus();
  await expect(panel.getByText("The URL must start with https://.")).toBeVisible();
  await panel.getByLabel("Secret", { exact: true }).fill("too short");
  await panel.getByRole("button", { name: "Add header" }).click();
  await panel.getByRole("textbox", { name: "Header 1 name" }).fill("Host");
  await panel.getByRole("textbox", { name: "Header 1 value" }).fill("elsewhere.example.com");
  await panel.getByRole("button", { name: "Create", exact: true }).click();
  await expect(panel.getByText("Give the webhook a name.")).toBeVisible();
  await expect(panel.getByText("A secret has 32 to 64 characters.")).toBeVisible();
  await expect(panel.getByText(/Herald sets Host itself/)).toBeVisible();
  await expect(panel.getByText("Choose at least one event type.")).toBeVisible();
  await expect(panel.getByRole("alert")).toContainText("5 fields need attention");
  await expect(panel.getByLabel("Name", { exact: true })).toHaveAttribute("aria-invalid", "true");
  // Nothing typed was lost.
  await expect(panel.getByLabel("URL")).toHaveValue("http://hooks.example.com/in");
  await expect(panel.getByLabel("Secret", { exact: true })).toHaveValue("too short");
  await expect(panel.getByRole("textbox", { name: "Header 1 name" })).toHaveValue("Host");
  await expect(panel.getByRole("textbox", { name: "Header 1 value" })).toHaveValue("elsewhere.example.com");
  // Escape asks before throwing typed values away; saying no keeps the panel and its values.
  let asked = "";
  page.once("dialog", (dialog) => {
    asked = dialog.message();
    void dialog.dismiss();
  });
  await page.keyboard.press("Escape");
  await expect.poll(() => asked).toBe("Discard what you typed in this panel?");
  await expect(panel).toBeVisible();
  await expect(panel.getByLabel("URL")).toHaveValue("http://hooks.example.com/in");
  // Tall enough for the whole panel, Enabled and CloudEvents format included.
  await page.setViewportSize({ width: 1280, height: 1800 });
  await saveScreenshot(info, "create-panel-with-errors", panel);
  await page.setViewportSize({ width: 1280, height: 800 });

  // Fixing the fields keeps everything else typed.
  await panel.getByLabel("Name", { exact: true }).fill(name);
  await panel.getByLabel("Description").fill("Tells the warehouse about new apps");
  await panel.getByLabel("URL").fill(endpoint("/created"));
  await panel.getByRole("button", { name: "Generate" }).click();
  await expect(panel.getByLabel("Secret", { exact: true })).toHaveValue(/^[A-Za-z0-9_-]{48}$/);
  await expect(panel.getByText(/Copy this secret now/)).toBeVisible();
  await panel.getByRole("textbox", { name: "Header 1 name" }).fill("X-Team");
  await panel.getByRole("textbox", { name: "Header 1 value" }).fill("warehouse");
  await panel.getByRole("button", { name: "Add header" }).click();
  await panel.getByRole("textbox", { name: "Header 2 name" }).fill("X-Token");
  await panel.getByRole("textbox", { name: "Header 2 value" }).fill("token value");
  await panel.getByRole("checkbox", { name: "Header 2 is secret" }).check();
  await panel.getByRole("button", { name: "Add header" }).click();
  await panel.getByRole("button", { name: "Remove header 3" }).click();
  await expect(panel.getByRole("textbox", { name: /^Header \d name$/ })).toHaveCount(2);
  await panel.getByRole("group", { name: "Apps" }).getByLabel("Created").check();
  await panel.getByRole("group", { name: "Apps" }).getByLabel("Reloaded").check();
  await expect(panel.getByText("Give the webhook a name.")).toHaveCount(0);
  await expect(panel.getByRole("checkbox", { name: "Enabled" })).toBeChecked();
  await expect(panel.getByRole("checkbox", { name: "CloudEvents format" })).not.toBeChecked();
  await panel.getByRole("button", { name: "Create", exact: true }).click();

  await expect(panel).toBeHidden();
  await expect(page.getByRole("status")).toContainText(`“${name}” was created.`);
  const row = page.locator(`tr[data-webhook="${name}"]`);
  await expect(row).toContainText("Enabled");
  await expect(row).toContainText("Apps: Created, Apps: Reloaded");
  await expect(row).toContainText("Ada Admin");
  await expect(row).toContainText("Tells the warehouse about new apps");
  await saveScreenshot(info, "webhooks-table", page);

  const page1 = await call<{ data: Webhook[] }>(page, "list_webhooks", { query: `name=${encodeURIComponent(name)}` });
  expect(page1.data).toHaveLength(1);
  expect(page1.data[0].secretKeyAdded).toBe(true);
  expect(page1.data[0].encryptedHeaders).toEqual(["X-Token"]);
});

test("editing sends only what changed; the secret is kept, then replaced, never lost", async ({ page, request }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const name = uniqueName("Billing");
  const route = `/edit-${Date.now()}`;
  await plan(request, route, [{ status: 200 }]);
  const original = await createWebhook(page, {
    name,
    url: endpoint(route),
    secret: "first secret first secret first secret",
    encryptedHeaders: { "X-Token": "token one" },
  });
  await openWebhooks(page, name);
  const row = page.locator(`tr[data-webhook="${name}"]`);

  // A rename keeps the secret and the encrypted header.
  await rowAction(page, name, "Edit");
  const panel = page.getByRole("dialog", { name: `Edit “${name}”` });
  await expect(panel.getByLabel("Name", { exact: true })).toHaveValue(name);
  await expect(panel.getByText("Set", { exact: true })).toBeVisible();
  await expect(panel.getByRole("textbox", { name: "Header 1 name" })).toHaveValue("X-Token");
  await expect(panel.getByLabel("Header 1 value")).toHaveValue("");
  const renamed = `${name} (EU)`;
  await panel.getByLabel("Name", { exact: true }).fill(renamed);
  await panel.getByRole("button", { name: "Save" }).click();
  await expect(panel).toBeHidden();
  await expect(page.getByRole("status")).toContainText(`“${renamed}” was saved.`);
  let stored = await call<Webhook>(page, "get_webhook", { id: original.id });
  expect(stored.name).toBe(renamed);
  expect(stored.secretKeyAdded).toBe(true);
  expect(stored.encryptedHeaders).toEqual(["X-Token"]);
  // The original secret and header still reach the endpoint.
  const testDelivery = await call<string>(page, "send_test_event", {
    webhook_id: original.id,
    event_type: "com.qlik.v1.app.created",
  });
  expect(testDelivery, "the new delivery's id").toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  await expect.poll(async () => (await received(request, route)).length).toBe(1);
  const [first] = await received(request, route);
  expect(header(first, "x-token")).toBe("token one");
  expect(header(first, "qlik-signature")).toBe(
    createHmac("sha256", "first secret first secret first secret").update(first.body).digest("hex"),
  );

  // A new URL asks for the encrypted header again.
  await openWebhooks(page, renamed);
  const renamedRow = page.locator(`tr[data-webhook="${renamed}"]`);
  await rowAction(page, renamed, "Edit");
  const edit = page.getByRole("dialog", { name: `Edit “${renamed}”` });
  const newRoute = `${route}-moved`;
  await plan(request, newRoute, [{ status: 200 }]);
  await edit.getByLabel("URL").fill(endpoint(newRoute));
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit.getByText("The URL changed: enter the value of the encrypted header X-Token again.")).toBeVisible();
  await edit.getByLabel("Header 1 value").fill("token two");

  // Replace the secret with a generated one.
  await edit.getByRole("button", { name: "Replace" }).click();
  await edit.getByRole("button", { name: "Generate" }).click();
  await expect(edit.getByLabel("Secret", { exact: true })).toHaveValue(/^[A-Za-z0-9_-]{48}$/);
  const secret = await edit.getByLabel("Secret", { exact: true }).inputValue();
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toBeHidden();
  stored = await call<Webhook>(page, "get_webhook", { id: original.id });
  expect(stored.url).toBe(endpoint(newRoute));
  expect(stored.secretKeyAdded).toBe(true);

  // The endpoint receives requests signed with the new secret and the new header value.
  await rowAction(page, renamed, "Send test event");
  const dialog = page.getByRole("dialog", { name: /Send a test event/ });
  await dialog.getByRole("button", { name: "Send test event" }).click();
  await expect(dialog.getByRole("status")).toContainText("Delivered — HTTP 200");
  const arrived = await received(request, newRoute);
  expect(arrived).toHaveLength(1);
  const [delivered] = arrived;
  expect(header(delivered, "x-token")).toBe("token two");
  const expected = createHmac("sha256", secret).update(delivered.body).digest("hex");
  expect(header(delivered, "qlik-signature")).toBe(expected);
  await dialog.getByRole("button", { name: "Close" }).click();

  // Remove: "Keep the current secret" undoes the choice; Remove then Save removes it.
  await rowAction(page, renamed, "Edit");
  await edit.getByRole("button", { name: "Remove", exact: true }).click();
  await expect(edit.getByText("The secret will be removed when you save.")).toBeVisible();
  await edit.getByRole("button", { name: "Keep the current secret" }).click();
  await expect(edit.getByText("Set", { exact: true })).toBeVisible();
  await edit.getByRole("button", { name: "Remove", exact: true }).click();
  await edit.getByRole("button", { name: "Save" }).click();
  await expect(edit).toBeHidden();
  stored = await call<Webhook>(page, "get_webhook", { id: original.id });
  expect(stored.secretKeyAdded).toBe(false);
  expect(stored.encryptedHeaders).toEqual(["X-Token"]);
});

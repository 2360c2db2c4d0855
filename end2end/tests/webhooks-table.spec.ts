import { test, expect, waitForHydration } from "./support/fixtures";
import { ADMIN, signIn } from "./support/accounts";
import { call, createWebhook, uniqueName, type Webhook, openWebhooks } from "./support/console";
import { endpoint } from "./support/receiver";
import type { Page } from "@playwright/test";

/** The names in the table, top to bottom. */
async function shownNames(page: Page): Promise<string[]> {
  return page.locator("tbody tr[data-webhook]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-webhook") ?? ""));
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("each sortable column sorts both ways, and the order is in the URL", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const prefix = uniqueName("Sort");
  // Created in the order b, a, c, with URLs in yet another order; then b is updated last.
  const b = await createWebhook(page, { name: `${prefix} b`, url: endpoint("/sort/3") });
  await pause(20);
  await createWebhook(page, { name: `${prefix} a`, url: endpoint("/sort/2") });
  await pause(20);
  await createWebhook(page, { name: `${prefix} c`, url: endpoint("/sort/1") });
  await pause(20);
  await call(page, "patch_webhook", { id: b.id, operations: [{ op: "replace", path: "/description", value: "touched" }] });

  await openWebhooks(page, prefix);
  const names = (order: string) => order.split("").map((letter) => `${prefix} ${letter}`);
  await expect.poll(() => shownNames(page)).toEqual(names("cab"));

  const table = page.locator("table.webhooks-table");
  for (const [column, param, ascending] of [
    ["Name", "name", "abc"],
    ["URL", "url", "cab"],
    ["Created", "createdAt", "bac"],
    ["Updated", "updatedAt", "acb"],
  ] as const) {
    const header = table.getByRole("columnheader", { name: column });
    await header.getByRole("link", { name: column }).click();
    await expect(page).toHaveURL(new RegExp(`sort=%2B${param}`));
    await expect(header).toHaveAttribute("aria-sort", "ascending");
    await expect(header).toContainText("↑");
    await expect.poll(() => shownNames(page)).toEqual(names(ascending));
    await header.getByRole("link", { name: column }).click();
    await expect(page).toHaveURL(new RegExp(`sort=-${param}`));
    await expect(header).toHaveAttribute("aria-sort", "descending");
    await expect(header).toContainText("↓");
    await expect.poll(() => shownNames(page)).toEqual(names(ascending).reverse());
  }

  // Reload and back keep the order.
  await page.reload();
  await waitForHydration(page);
  await expect.poll(() => shownNames(page)).toEqual(names("bca"));
  await page.goBack();
  await expect(page).toHaveURL(/sort=%2BupdatedAt/);
  await expect.poll(() => shownNames(page)).toEqual(names("acb"));
});

test("filters by part of the name, status, event type, URL and owner, in the URL", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const prefix = uniqueName("Filter");
  await createWebhook(page, { name: `${prefix} Orders`, url: endpoint("/filter/orders") });
  const off = await createWebhook(page, { name: `${prefix} Refunds`, url: endpoint("/filter/refunds"), enabled: false });
  await createWebhook(page, {
    name: `${prefix} Invoices`,
    url: endpoint("/filter/invoices"),
    eventTypes: ["com.qlik.v1.app.reload.finished"],
  });
  await page.goto("/webhooks");
  await waitForHydration(page);

  await page.getByRole("button", { name: "Filter by Name" }).click();
  const nameFilter = page.getByRole("group", { name: "Filter by Name" });
  await nameFilter.getByLabel("Name contains").fill(`${prefix} ORD`.toLowerCase());
  await nameFilter.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/name=/);
  await expect.poll(() => shownNames(page)).toEqual([`${prefix} Orders`]);
  await expect(page.getByRole("button", { name: "Filter by Name" })).toHaveClass(/active/);

  // Another filter on top: the prefix alone, disabled only.
  await page.getByRole("button", { name: "Filter by Name" }).click();
  await nameFilter.getByLabel("Name contains").fill(prefix);
  await nameFilter.getByRole("button", { name: "Apply" }).click();
  await expect.poll(() => shownNames(page)).toHaveLength(3);
  await page.getByRole("button", { name: "Filter by Status" }).click();
  const statusFilter = page.getByRole("group", { name: "Filter by Status" });
  await statusFilter.getByLabel("Disabled").check();
  await statusFilter.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/enabled=false/);
  await expect.poll(() => shownNames(page)).toEqual([off.name]);
  await page.reload();
  await waitForHydration(page);
  await expect.poll(() => shownNames(page)).toEqual([off.name]);
  await page.goBack();
  await expect.poll(() => shownNames(page)).toHaveLength(3);

  // Subscribed to a chosen event type.
  await page.getByRole("button", { name: "Filter by Event types" }).click();
  const typeFilter = page.getByRole("group", { name: "Filter by Event types" });
  await typeFilter.getByLabel("Apps: Reloaded").check();
  await typeFilter.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/eventTypes=com\.qlik\.v1\.app\.reload\.finished/);
  await expect.poll(() => shownNames(page)).toEqual([`${prefix} Invoices`]);
  await page.getByRole("button", { name: "Filter by Event types" }).click();
  await typeFilter.getByRole("button", { name: "Clear" }).click();
  await expect(page).not.toHaveURL(/eventTypes=/);
  await expect.poll(() => shownNames(page)).toHaveLength(3);

  // Part of the URL, and the owner.
  await page.getByRole("button", { name: "Filter by URL" }).click();
  const urlFilter = page.getByRole("group", { name: "Filter by URL" });
  await urlFilter.getByLabel("URL contains").fill("/FILTER/REF");
  await urlFilter.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/url=/);
  await expect.poll(() => shownNames(page)).toEqual([off.name]);
  await page.getByRole("button", { name: "Filter by Owner" }).click();
  const ownerFilter = page.getByRole("group", { name: "Filter by Owner" });
  await ownerFilter.getByLabel("Owner").selectOption({ label: ADMIN.name });
  await ownerFilter.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/ownerId=/);
  await expect.poll(() => shownNames(page)).toEqual([off.name]);
  await expect(page.getByRole("button", { name: "Filter by Owner" })).toHaveClass(/active/);

  // Nothing matches: the table says so and offers to clear the filters.
  await openWebhooks(page, prefix, "&url=no-such-endpoint");
  await expect(page.getByRole("heading", { name: "No webhooks match these filters" })).toBeVisible();
  await page.getByRole("link", { name: "Clear filters" }).click();
  await expect(page).toHaveURL(/\/webhooks$/);
});

test("the row menu disables and enables a webhook in place, by mouse and keyboard", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const name = uniqueName("Toggle");
  await createWebhook(page, { name, url: endpoint("/toggle") });
  await openWebhooks(page, name);
  const row = page.locator(`tr[data-webhook="${name}"]`);
  await expect(row.locator(".status-cell")).toHaveText("Enabled");

  await row.getByRole("button", { name: `Actions for ${name}` }).click();
  await expect(page.getByRole("menu")).toBeVisible();
  await expect(page.getByRole("menuitem", { name: "Edit" })).toBeFocused();
  await page.getByRole("menuitem", { name: "Disable webhook" }).click();
  await expect(row.locator(".status-cell")).toHaveText("Disabled");
  await expect(page.getByRole("status")).toContainText(`“${name}” is disabled.`);
  const listed = await call<{ data: Webhook[] }>(page, "list_webhooks", { query: `name=${encodeURIComponent(name)}` });
  expect(listed.data[0].enabled).toBe(false);

  // Keyboard: Enter opens, arrows move, Escape closes back to the button.
  const menuButton = row.getByRole("button", { name: `Actions for ${name}` });
  await menuButton.focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menuitem", { name: "Edit" })).toBeFocused();
  await page.keyboard.press("ArrowUp");
  await expect(page.getByRole("menuitem", { name: "Delete" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menu")).toHaveCount(0);
  await expect(menuButton).toBeFocused();
  await page.keyboard.press("Enter");
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Enable webhook" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(row.locator(".status-cell")).toHaveText("Enabled");
});

test("delete asks first, from the row menu or for the selected rows", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const prefix = uniqueName("Delete");
  for (const letter of ["one", "two", "three"]) {
    await createWebhook(page, { name: `${prefix} ${letter}`, url: endpoint(`/delete/${letter}`) });
  }
  await openWebhooks(page, prefix, "&sort=%2Bname");
  await expect.poll(() => shownNames(page)).toHaveLength(3);

  // One, from its menu: Cancel and Escape abort (focus back on the row's ⋯), Delete deletes.
  const one = page.locator(`tr[data-webhook="${prefix} one"]`);
  const oneMenu = one.getByRole("button", { name: `Actions for ${prefix} one` });
  await oneMenu.click();
  await page.getByRole("menuitem", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this webhook?" });
  await expect(dialog).toContainText(`${prefix} one`);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(oneMenu).toBeFocused();
  await oneMenu.click();
  await page.getByRole("menuitem", { name: "Delete" }).click();
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(oneMenu).toBeFocused();
  await expect.poll(() => shownNames(page)).toHaveLength(3);
  await oneMenu.click();
  await page.getByRole("menuitem", { name: "Delete" }).click();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("status")).toContainText(`“${prefix} one” was deleted.`);
  await expect.poll(() => shownNames(page)).toEqual([`${prefix} three`, `${prefix} two`]);

  // The selected ones, from the Delete button top right.
  const deleteButton = page.getByRole("button", { name: /^Delete/ }).first();
  await expect(deleteButton).toBeDisabled();
  await page.getByRole("checkbox", { name: `Select ${prefix} two` }).check();
  await page.getByRole("checkbox", { name: `Select ${prefix} three` }).check();
  await expect(deleteButton).toHaveText("Delete (2)");
  await deleteButton.click();
  const bulk = page.getByRole("dialog", { name: "Delete these 2 webhooks?" });
  await expect(bulk.getByRole("listitem")).toHaveText([`${prefix} three`, `${prefix} two`]);
  await bulk.getByRole("button", { name: "Cancel" }).click();
  await expect(deleteButton).toBeFocused();
  await expect.poll(() => shownNames(page)).toHaveLength(2);
  await deleteButton.click();
  await bulk.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("status")).toContainText("2 webhooks were deleted.");
  await expect(page.getByRole("heading", { name: "No webhooks match these filters" })).toBeVisible();
});

test.describe("on a phone-sized window, in another time zone", () => {
  test.use({ viewport: { width: 400, height: 800 }, timezoneId: "Pacific/Auckland" });

  test("the table scrolls inside the page and times switch from UTC to local after hydration", async ({ page }) => {
    await signIn(page, ADMIN.email, ADMIN.password);
    const name = uniqueName("Narrow");
    await createWebhook(page, { name, url: endpoint("/narrow") });
    const response = await page.request.get(`/webhooks?name=${encodeURIComponent(name)}`);
    const html = await response.text();
    const rendered = html.match(/<time datetime="[^"]+Z" title="(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC)">([\s\S]*?)<\/time>/);
    expect(rendered, "the server renders times in UTC").not.toBeNull();
    expect(rendered![2]).toContain(rendered![1]);

    await openWebhooks(page, name);
    const created = page.locator(`tr[data-webhook="${name}"] time`).first();
    await expect(created).not.toContainText("UTC");
    await expect(created).toHaveAttribute("title", / UTC$/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expect(page.getByRole("button", { name: "Create", exact: true })).toBeInViewport();
  });
});

test("pages of 20 move forwards and back, in the URL", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const prefix = uniqueName("Page");
  for (let n = 1; n <= 21; n++) {
    await createWebhook(page, { name: `${prefix} ${String(n).padStart(2, "0")}`, url: endpoint(`/page/${n}`) });
  }
  await openWebhooks(page, prefix, "&sort=%2Bname");
  await expect.poll(() => shownNames(page)).toHaveLength(20);
  const pages = page.getByRole("navigation", { name: "Pages of webhooks" });
  await expect(pages.getByRole("link", { name: "← Previous" })).toHaveCount(0);
  await pages.getByRole("link", { name: "Next →" }).click();
  await expect(page).toHaveURL(/next=/);
  await expect.poll(() => shownNames(page)).toEqual([`${prefix} 21`]);
  await pages.getByRole("link", { name: "← Previous" }).click();
  await expect(page).toHaveURL(/prev=/);
  await expect.poll(() => shownNames(page)).toHaveLength(20);
  expect((await shownNames(page))[0]).toBe(`${prefix} 01`);
});

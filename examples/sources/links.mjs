// Prints the links of an HTML page as a JSON array of {url}: the sources example's way to find its
// items when no model is configured. The corpus starts beside it, so it tries for 10 s.
// Usage: node examples/sources/links.mjs URL
const url = process.argv[2];
let res;
for (let tries = 0; !res; tries++) {
  try {
    res = await fetch(url);
  } catch (e) {
    if (tries >= 50) throw new Error(`${url} did not answer: ${e.cause?.message ?? e.message}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
if (!res.ok) {
  console.error(`${url} answered ${res.status}`);
  process.exit(1);
}
const html = await res.text();
console.log(JSON.stringify([...html.matchAll(/<a href="([^"]+)"/g)].map((m) => ({ url: m[1] }))));

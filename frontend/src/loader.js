// The module Home Assistant loads in every frontend (extra module URL). It waits for Home Assistant's
// own app before loading the card: the app replaces window.customElements and window.HTMLElement (a
// scoped custom-element registry polyfill), so a card class defined before that would be unknown to
// Lovelace ("Custom element doesn't exist") — which happened whenever this small file won the race.
const version = new URL(import.meta.url).search;
const app = customElements.get("home-assistant")
  ? Promise.resolve()
  : Promise.race([
      customElements.whenDefined("home-assistant"),
      // Somewhere without Home Assistant's app (a custom panel in an iframe): load anyway.
      new Promise((resolve) => setTimeout(resolve, 10000)),
    ]);
app.then(() => import(new URL(`./ambient-mesh-card-element.js${version}`, import.meta.url).href));

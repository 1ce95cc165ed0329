// Ambient Mesh card, built from frontend/ (npm run build). Do not edit.
var s=new URL(import.meta.url).search,t=customElements.get("home-assistant")?Promise.resolve():Promise.race([customElements.whenDefined("home-assistant"),new Promise(e=>setTimeout(e,1e4))]);t.then(()=>import(new URL(`./ambient-mesh-card-element.js${s}`,import.meta.url).href));

// Ambient Mesh card, built from frontend/ (npm run build). Do not edit.
var Se=Object.defineProperty;var xe=(n,e,t)=>e in n?Se(n,e,{enumerable:!0,configurable:!0,writable:!0,value:t}):n[e]=t;var D=(n,e,t)=>xe(n,typeof e!="symbol"?e+"":e,t);var O=globalThis,z=O.ShadowRoot&&(O.ShadyCSS===void 0||O.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,B=Symbol(),ie=new WeakMap,x=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==B)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(z&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=ie.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&ie.set(t,e))}return e}toString(){return this.cssText}},ne=n=>new x(typeof n=="string"?n:n+"",void 0,B),F=(n,...e)=>{let t=n.length===1?n[0]:e.reduce((s,i,r)=>s+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(i)+n[r+1],n[0]);return new x(t,n,B)},re=(n,e)=>{if(z)n.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),i=O.litNonce;i!==void 0&&s.setAttribute("nonce",i),s.textContent=t.cssText,n.appendChild(s)}},I=z?n=>n:n=>n instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return ne(t)})(n):n;var{is:Ee,defineProperty:Ce,getOwnPropertyDescriptor:ke,getOwnPropertyNames:Pe,getOwnPropertySymbols:Ne,getPrototypeOf:Re}=Object,M=globalThis,oe=M.trustedTypes,Te=oe?oe.emptyScript:"",Ue=M.reactiveElementPolyfillSupport,E=(n,e)=>n,W={toAttribute(n,e){switch(e){case Boolean:n=n?Te:null;break;case Object:case Array:n=n==null?n:JSON.stringify(n)}return n},fromAttribute(n,e){let t=n;switch(e){case Boolean:t=n!==null;break;case Number:t=n===null?null:Number(n);break;case Object:case Array:try{t=JSON.parse(n)}catch{t=null}}return t}},le=(n,e)=>!Ee(n,e),ae={attribute:!0,type:String,converter:W,reflect:!1,useDefault:!1,hasChanged:le};Symbol.metadata??=Symbol("metadata"),M.litPropertyMetadata??=new WeakMap;var m=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=ae){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),i=this.getPropertyDescriptor(e,s,t);i!==void 0&&Ce(this.prototype,e,i)}}static getPropertyDescriptor(e,t,s){let{get:i,set:r}=ke(this.prototype,e)??{get(){return this[t]},set(o){this[t]=o}};return{get:i,set(o){let d=i?.call(this);r?.call(this,o),this.requestUpdate(e,d,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??ae}static _$Ei(){if(this.hasOwnProperty(E("elementProperties")))return;let e=Re(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(E("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(E("properties"))){let t=this.properties,s=[...Pe(t),...Ne(t)];for(let i of s)this.createProperty(i,t[i])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,i]of t)this.elementProperties.set(s,i)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let i=this._$Eu(t,s);i!==void 0&&this._$Eh.set(i,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let i of s)t.unshift(I(i))}else e!==void 0&&t.push(I(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return re(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),i=this.constructor._$Eu(e,s);if(i!==void 0&&s.reflect===!0){let r=(s.converter?.toAttribute!==void 0?s.converter:W).toAttribute(t,s.type);this._$Em=e,r==null?this.removeAttribute(i):this.setAttribute(i,r),this._$Em=null}}_$AK(e,t){let s=this.constructor,i=s._$Eh.get(e);if(i!==void 0&&this._$Em!==i){let r=s.getPropertyOptions(i),o=typeof r.converter=="function"?{fromAttribute:r.converter}:r.converter?.fromAttribute!==void 0?r.converter:W;this._$Em=i;let d=o.fromAttribute(t,r.type);this[i]=d??this._$Ej?.get(i)??d,this._$Em=null}}requestUpdate(e,t,s,i=!1,r){if(e!==void 0){let o=this.constructor;if(i===!1&&(r=this[e]),s??=o.getPropertyOptions(e),!((s.hasChanged??le)(r,t)||s.useDefault&&s.reflect&&r===this._$Ej?.get(e)&&!this.hasAttribute(o._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:i,wrapped:r},o){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,o??t??this[e]),r!==!0||o!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),i===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[i,r]of this._$Ep)this[i]=r;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[i,r]of s){let{wrapped:o}=r,d=this[i];o!==!0||this._$AL.has(i)||d===void 0||this.C(i,void 0,r,d)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};m.elementStyles=[],m.shadowRootOptions={mode:"open"},m[E("elementProperties")]=new Map,m[E("finalized")]=new Map,Ue?.({ReactiveElement:m}),(M.reactiveElementVersions??=[]).push("2.1.2");var Q=globalThis,ce=n=>n,H=Q.trustedTypes,he=H?H.createPolicy("lit-html",{createHTML:n=>n}):void 0,fe="$lit$",g=`lit$${Math.random().toFixed(9).slice(2)}$`,ge="?"+g,Oe=`<${ge}>`,y=document,k=()=>y.createComment(""),P=n=>n===null||typeof n!="object"&&typeof n!="function",X=Array.isArray,ze=n=>X(n)||typeof n?.[Symbol.iterator]=="function",V=`[ 	
\f\r]`,C=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,de=/-->/g,pe=/>/g,b=RegExp(`>|${V}(?:([^\\s"'>=/]+)(${V}*=${V}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),ue=/'/g,_e=/"/g,$e=/^(?:script|style|textarea|title)$/i,Y=n=>(e,...t)=>({_$litType$:n,strings:e,values:t}),c=Y(1),Ve=Y(2),Ke=Y(3),A=Symbol.for("lit-noChange"),l=Symbol.for("lit-nothing"),me=new WeakMap,v=y.createTreeWalker(y,129);function be(n,e){if(!X(n)||!n.hasOwnProperty("raw"))throw Error("invalid template strings array");return he!==void 0?he.createHTML(e):e}var Me=(n,e)=>{let t=n.length-1,s=[],i,r=e===2?"<svg>":e===3?"<math>":"",o=C;for(let d=0;d<t;d++){let a=n[d],p,u,h=-1,_=0;for(;_<a.length&&(o.lastIndex=_,u=o.exec(a),u!==null);)_=o.lastIndex,o===C?u[1]==="!--"?o=de:u[1]!==void 0?o=pe:u[2]!==void 0?($e.test(u[2])&&(i=RegExp("</"+u[2],"g")),o=b):u[3]!==void 0&&(o=b):o===b?u[0]===">"?(o=i??C,h=-1):u[1]===void 0?h=-2:(h=o.lastIndex-u[2].length,p=u[1],o=u[3]===void 0?b:u[3]==='"'?_e:ue):o===_e||o===ue?o=b:o===de||o===pe?o=C:(o=b,i=void 0);let f=o===b&&n[d+1].startsWith("/>")?" ":"";r+=o===C?a+Oe:h>=0?(s.push(p),a.slice(0,h)+fe+a.slice(h)+g+f):a+g+(h===-2?d:f)}return[be(n,r+(n[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},N=class n{constructor({strings:e,_$litType$:t},s){let i;this.parts=[];let r=0,o=0,d=e.length-1,a=this.parts,[p,u]=Me(e,t);if(this.el=n.createElement(p,s),v.currentNode=this.el.content,t===2||t===3){let h=this.el.content.firstChild;h.replaceWith(...h.childNodes)}for(;(i=v.nextNode())!==null&&a.length<d;){if(i.nodeType===1){if(i.hasAttributes())for(let h of i.getAttributeNames())if(h.endsWith(fe)){let _=u[o++],f=i.getAttribute(h).split(g),U=/([.?@])?(.*)/.exec(_);a.push({type:1,index:r,name:U[2],strings:f,ctor:U[1]==="."?G:U[1]==="?"?Z:U[1]==="@"?J:S}),i.removeAttribute(h)}else h.startsWith(g)&&(a.push({type:6,index:r}),i.removeAttribute(h));if($e.test(i.tagName)){let h=i.textContent.split(g),_=h.length-1;if(_>0){i.textContent=H?H.emptyScript:"";for(let f=0;f<_;f++)i.append(h[f],k()),v.nextNode(),a.push({type:2,index:++r});i.append(h[_],k())}}}else if(i.nodeType===8)if(i.data===ge)a.push({type:2,index:r});else{let h=-1;for(;(h=i.data.indexOf(g,h+1))!==-1;)a.push({type:7,index:r}),h+=g.length-1}r++}}static createElement(e,t){let s=y.createElement("template");return s.innerHTML=e,s}};function w(n,e,t=n,s){if(e===A)return e;let i=s!==void 0?t._$Co?.[s]:t._$Cl,r=P(e)?void 0:e._$litDirective$;return i?.constructor!==r&&(i?._$AO?.(!1),r===void 0?i=void 0:(i=new r(n),i._$AT(n,t,s)),s!==void 0?(t._$Co??=[])[s]=i:t._$Cl=i),i!==void 0&&(e=w(n,i._$AS(n,e.values),i,s)),e}var K=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,i=(e?.creationScope??y).importNode(t,!0);v.currentNode=i;let r=v.nextNode(),o=0,d=0,a=s[0];for(;a!==void 0;){if(o===a.index){let p;a.type===2?p=new R(r,r.nextSibling,this,e):a.type===1?p=new a.ctor(r,a.name,a.strings,this,e):a.type===6&&(p=new q(r,this,e)),this._$AV.push(p),a=s[++d]}o!==a?.index&&(r=v.nextNode(),o++)}return v.currentNode=y,i}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},R=class n{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,i){this.type=2,this._$AH=l,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=i,this._$Cv=i?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=w(this,e,t),P(e)?e===l||e==null||e===""?(this._$AH!==l&&this._$AR(),this._$AH=l):e!==this._$AH&&e!==A&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):ze(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==l&&P(this._$AH)?this._$AA.nextSibling.data=e:this.T(y.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,i=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=N.createElement(be(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===i)this._$AH.p(t);else{let r=new K(i,this),o=r.u(this.options);r.p(t),this.T(o),this._$AH=r}}_$AC(e){let t=me.get(e.strings);return t===void 0&&me.set(e.strings,t=new N(e)),t}k(e){X(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,i=0;for(let r of e)i===t.length?t.push(s=new n(this.O(k()),this.O(k()),this,this.options)):s=t[i],s._$AI(r),i++;i<t.length&&(this._$AR(s&&s._$AB.nextSibling,i),t.length=i)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=ce(e).nextSibling;ce(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},S=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,i,r){this.type=1,this._$AH=l,this._$AN=void 0,this.element=e,this.name=t,this._$AM=i,this.options=r,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=l}_$AI(e,t=this,s,i){let r=this.strings,o=!1;if(r===void 0)e=w(this,e,t,0),o=!P(e)||e!==this._$AH&&e!==A,o&&(this._$AH=e);else{let d=e,a,p;for(e=r[0],a=0;a<r.length-1;a++)p=w(this,d[s+a],t,a),p===A&&(p=this._$AH[a]),o||=!P(p)||p!==this._$AH[a],p===l?e=l:e!==l&&(e+=(p??"")+r[a+1]),this._$AH[a]=p}o&&!i&&this.j(e)}j(e){e===l?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},G=class extends S{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===l?void 0:e}},Z=class extends S{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==l)}},J=class extends S{constructor(e,t,s,i,r){super(e,t,s,i,r),this.type=5}_$AI(e,t=this){if((e=w(this,e,t,0)??l)===A)return;let s=this._$AH,i=e===l&&s!==l||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,r=e!==l&&(s===l||i);i&&this.element.removeEventListener(this.name,this,s),r&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},q=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){w(this,e)}};var He=Q.litHtmlPolyfillSupport;He?.(N,R),(Q.litHtmlVersions??=[]).push("3.3.3");var ve=(n,e,t)=>{let s=t?.renderBefore??e,i=s._$litPart$;if(i===void 0){let r=t?.renderBefore??null;s._$litPart$=i=new R(e.insertBefore(k(),r),r,void 0,t??{})}return i._$AI(n),i};var ee=globalThis,$=class extends m{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=ve(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return A}};$._$litElement$=!0,$.finalized=!0,ee.litElementHydrateSupport?.({LitElement:$});var je=ee.litElementPolyfillSupport;je?.({LitElement:$});(ee.litElementVersions??=[]).push("4.2.2");var j={en:{title:{pending:"Waiting for you",timeline:"Decisions",schedules:"Scheduled actions",planner:"Planner"},empty:{pending:"Nothing waits for a confirmation.",timeline:"No decisions yet.",schedules:"Nothing is scheduled."},approve:"Approve",deny:"Deny",cancel:"Cancel",for:"for {who}",by:"by {planner}",at:"at {time}",since:"asked {time}",filter:{all:"All",acted:"Done",waiting:"Waiting",refused:"Refused",everyone:"Everyone"},verdict:{executed:"done",clamped:"done (adjusted)",pending:"waiting",approved:"approved",denied:"denied",expired:"expired",rejected:"refused",rate_limited:"too often",shadow:"shadow only",failed:"failed",scheduled:"scheduled"},planner_name:{rules:"Rules",llm:"Model",service:"Service",voice:"Voice",schedule:"Schedule",local_intent:"Voice command",ha_llm_api:"Assist"},situation:{departure_soon:"Departure soon",arriving_home:"Arriving home",sleep_started:"Fell asleep",woke_up:"Woke up",night_overheating:"Too warm at night",feeling_cold:"Feeling cold",house_empty:"House empty"},tool:{precondition_cabin:"Warm up {vehicle} to {target_c}",precondition_cabin_by:"Warm up {vehicle} to {target_c} by {ready_by}",stop_cabin_climate:"Stop {vehicle}'s climate",set_room_climate:"Set {zone} to {target_c}",set_room_mode:"Set {zone} to {mode}",set_lights_on:"Lights on in {zone}",set_lights_off:"Lights off in {zone}",notify:"Tell {person}: \u201C{message}\u201D",schedule:"{call} at {at}",cancel_scheduled:"Cancel a scheduled action",unlock_vehicle:"Unlock {vehicle}",open_cover:"Open the cover in {zone}",close_cover:"Close the cover in {zone}",disarm_alarm:"Disarm the alarm"},planner:{decides:"Decides",rules:"Rules (no model answering)",llm:"Model",endpoint:"Endpoint",no_endpoint:"none configured",prompt:"Last prompt",tokens:"{n} tokens (budget {budget})",latency:"Latency",shadow:"Shadow mode",on:"on: decides, executes nothing",off:"off",dropped:"Dropped messages",dropped_of:"{n} of {total}",fallbacks:"Rules stood in",error:"Last error",none:"\u2014"}},de:{title:{pending:"Wartet auf dich",timeline:"Entscheidungen",schedules:"Geplante Aktionen",planner:"Planer"},empty:{pending:"Nichts wartet auf eine Best\xE4tigung.",timeline:"Noch keine Entscheidungen.",schedules:"Nichts ist geplant."},approve:"Erlauben",deny:"Ablehnen",cancel:"Abbrechen",for:"f\xFCr {who}",by:"durch {planner}",at:"um {time}",since:"gefragt {time}",filter:{all:"Alle",acted:"Erledigt",waiting:"Wartend",refused:"Abgelehnt",everyone:"Alle Personen"},verdict:{executed:"erledigt",clamped:"erledigt (angepasst)",pending:"wartet",approved:"erlaubt",denied:"abgelehnt",expired:"abgelaufen",rejected:"verweigert",rate_limited:"zu h\xE4ufig",shadow:"nur Schattenmodus",failed:"fehlgeschlagen",scheduled:"geplant"},planner_name:{rules:"Regeln",llm:"Modell",service:"Dienst",voice:"Sprache",schedule:"Zeitplan",local_intent:"Sprachbefehl",ha_llm_api:"Assist"},situation:{departure_soon:"Abfahrt bald",arriving_home:"Kommt nach Hause",sleep_started:"Eingeschlafen",woke_up:"Aufgewacht",night_overheating:"Nachts zu warm",feeling_cold:"Friert",house_empty:"Haus leer"},tool:{precondition_cabin:"{vehicle} auf {target_c} vorheizen",precondition_cabin_by:"{vehicle} bis {ready_by} auf {target_c} vorheizen",stop_cabin_climate:"Klima von {vehicle} aus",set_room_climate:"{zone} auf {target_c}",set_room_mode:"{zone} auf {mode}",set_lights_on:"Licht an in {zone}",set_lights_off:"Licht aus in {zone}",notify:"{person} sagen: \u201E{message}\u201C",schedule:"{call} um {at}",cancel_scheduled:"Geplante Aktion abbrechen",unlock_vehicle:"{vehicle} entriegeln",open_cover:"Rollladen in {zone} \xF6ffnen",close_cover:"Rollladen in {zone} schlie\xDFen",disarm_alarm:"Alarmanlage entsch\xE4rfen"},planner:{decides:"Entscheidet",rules:"Regeln (kein Modell antwortet)",llm:"Modell",endpoint:"Endpunkt",no_endpoint:"keiner eingerichtet",prompt:"Letzter Prompt",tokens:"{n} Tokens (Budget {budget})",latency:"Antwortzeit",shadow:"Schattenmodus",on:"an: entscheidet, f\xFChrt nichts aus",off:"aus",dropped:"Verworfene Nachrichten",dropped_of:"{n} von {total}",fallbacks:"Regeln sprangen ein",error:"Letzter Fehler",none:"\u2014"}}};function Ae(n){let e=(n?.locale?.language||n?.language||"en").toLowerCase();if(j[e])return e;let t=e.split("-")[0];return j[t]?t:"en"}function ye(n,e){return e.split(".").reduce((t,s)=>t?.[s],n)}function L(n,e,t={}){let s=ye(j[n],e)??ye(j.en,e)??e;return String(s).replace(/\{(\w+)\}/g,(i,r)=>r in t?String(t[r]):`{${r}}`)}var te={pending:"ambient_mesh/subscribe_pending",timeline:"ambient_mesh/subscribe_decisions",schedules:"ambient_mesh/subscribe_schedules",planner:"ambient_mesh/subscribe_planner"},we={executed:"acted",clamped:"acted",approved:"acted",scheduled:"acted",pending:"waiting",shadow:"waiting",denied:"refused",expired:"refused",rejected:"refused",rate_limited:"refused",failed:"refused"},se=["person","vehicle","zone"],Le=/\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)?/g,T=class extends ${constructor(){super(),this._data=void 0,this._verdictFilter="all",this._subjectFilter="",this._busy={},this._unsubscribe=void 0}setConfig(e){if(!e||!te[e.section])throw new Error(`section must be one of: ${Object.keys(te).join(", ")}`);let t=this._config&&this._config.section!==e.section;this._config=e,t&&this._resubscribe()}getCardSize(){return this._config?.section==="timeline"?6:3}static getStubConfig(){return{section:"timeline"}}connectedCallback(){super.connectedCallback(),this.hass&&this._config&&this._subscribe()}disconnectedCallback(){super.disconnectedCallback(),this._unsubscribeNow()}updated(e){e.has("hass")&&this.hass&&this._config&&!this._unsubscribe&&this._subscribe()}_subscribe(){if(this._unsubscribe)return;let e={type:te[this._config.section]};this._config.entry_id&&(e.entry_id=this._config.entry_id),this._unsubscribe=this.hass.connection.subscribeMessage(t=>{this._data=t,this._error=void 0},e).catch(t=>{this._error=t?.message||String(t),this._unsubscribe=void 0})}_unsubscribeNow(){let e=this._unsubscribe;this._unsubscribe=void 0,e&&e.then(t=>typeof t=="function"&&t()).catch(()=>{})}_resubscribe(){this._unsubscribeNow(),this._data=void 0,this.hass&&this.isConnected&&this._subscribe()}get _lang(){return Ae(this.hass)}_t(e,t){return L(this._lang,e,t)}_name(e){return(this._data?.names||{})[e]||e}_time(e,t=!1){if(!e)return"";let s=new Date(e);if(Number.isNaN(s.getTime()))return e;let i={hour:"2-digit",minute:"2-digit"};t&&Object.assign(i,{weekday:"short"});let r=this.hass?.locale?.time_format;(r==="12"||r==="24")&&(i.hour12=r==="12");let o=this.hass?.config?.time_zone;try{return new Intl.DateTimeFormat(this.hass?.locale?.language||this._lang,{...i,...o?{timeZone:o}:{}}).format(s)}catch{return s.toLocaleTimeString()}}_plain(e){return String(e||"").replace(Le,t=>this._time(t))}_temp(e){return typeof e!="number"?String(e??""):`${new Intl.NumberFormat(this._lang,{maximumFractionDigits:1}).format(e)} \xB0C`}_what(e,t={}){let s={vehicle:this._name(t.vehicle),zone:this._name(t.zone),person:this._name(t.person),target_c:this._temp(t.target_c),ready_by:this._time(t.ready_by),mode:t.mode,message:t.message,at:this._time(t.at)};switch(e){case"precondition_cabin":return this._t(t.ready_by?"tool.precondition_cabin_by":"tool.precondition_cabin",s);case"set_room_climate":return this._t(t.target_c==null&&t.mode?"tool.set_room_mode":"tool.set_room_climate",s);case"set_lights":return this._t(t.on?"tool.set_lights_on":"tool.set_lights_off",s);case"schedule":{let i=t.call||{};return this._t("tool.schedule",{...s,call:this._what(i.tool,i.args||{})})}default:{let i=L(this._lang,`tool.${e}`,s);return i===`tool.${e}`?e:i}}}_whom(e){let t=e.args||{},s=t.call?.args||{},i=e.subject||e.person||se.map(r=>t[r]??s[r]).find(r=>r!=null);return i?this._name(i):""}_forWhom(e){let t=this._whom(e);return!t||this._what(e.tool,e.args).includes(t)?l:c`<span>${this._t("for",{who:t})}</span>`}_subjects(e){let t=e.args||{},s=t.call?.args||{};return new Set([e.subject,e.person,...se.flatMap(i=>[t[i],s[i]])].filter(Boolean))}_planner(e){let t=String(e||"").split(":")[0],s=L(this._lang,`planner_name.${t}`);return s===`planner_name.${t}`?e:s}async _call(e,t,s){this._busy={...this._busy,[s]:!0};try{await this.hass.callService("ambient_mesh",e,t),this._error=void 0}catch(i){this._error=i?.message||String(i)}finally{this._busy={...this._busy,[s]:!1}}}_actionButton(e,t,s,i){return c`<button
      class=${e}
      ?disabled=${this._busy[i]}
      @click=${()=>this._call(t,s,i)}
    >
      ${this._t(e)}
    </button>`}render(){if(!this._config)return l;let e=this._config.section;if(e==="schedules"&&this._config.subject&&!this._schedulesFor(this._config.subject).length)return l;let t=this._config.hide_title?void 0:this._config.title||this._t(`title.${e}`),s=this._data===void 0?c`<div class="empty">…</div>`:this[`_render_${e}`]();return c`<ha-card class=${e}>
      ${t?c`<h1 class="card-header">${t}</h1>`:l}
      <div class="content">
        ${this._error?c`<div class="error">${this._error}</div>`:l} ${s}
      </div>
    </ha-card>`}_render_pending(){let e=this._data.pending||[];return e.length?c`<ul>
      ${e.map(t=>c`<li class="request" data-id=${t.id}>
          <div class="what">${this._what(t.tool,t.args)}</div>
          <div class="why">${this._plain(t.why)}</div>
          <div class="meta">
            ${this._forWhom(t)}
            <span>${this._t("by",{planner:this._planner(t.planner)})}</span>
            <span>${this._t("since",{time:this._time(t.time)})}</span>
          </div>
          <div class="actions">
            ${this._actionButton("approve","approve",{request_id:t.id},t.id)}
            ${this._actionButton("deny","deny",{request_id:t.id},t.id)}
          </div>
        </li>`)}
    </ul>`:c`<div class="empty">${this._t("empty.pending")}</div>`}_render_timeline(){let e=new Set,t=(this._data.decisions||[]).filter(o=>!e.has(o.id)&&e.add(o.id)),s=this._subjectFilter||this._config.subject||"",i=t.filter(o=>this._verdictFilter==="all"||we[o.verdict]===this._verdictFilter).filter(o=>!s||this._subjects(o).has(s)).slice(0,this._config.limit||20),r=this._data.names||{};return c`<div class="filters">
        ${["all","acted","waiting","refused"].map(o=>c`<button
            class="chip ${this._verdictFilter===o?"on":""}"
            data-filter=${o}
            @click=${()=>this._verdictFilter=o}
          >
            ${this._t(`filter.${o}`)}
          </button>`)}
        <select
          aria-label=${this._t("filter.everyone")}
          @change=${o=>this._subjectFilter=o.target.value}
        >
          <option value="">${this._t("filter.everyone")}</option>
          ${Object.entries(r).map(([o,d])=>c`<option value=${o} ?selected=${o===s}>${d}</option>`)}
        </select>
      </div>
      ${i.length?c`<ul>
            ${i.map(o=>this._renderDecision(o))}
          </ul>`:c`<div class="empty">${this._t("empty.timeline")}</div>`}`}_renderDecision(e){let t=e.situation?this._t(`situation.${e.situation}`):"",s=e.reason&&e.reason!=="allowed"&&e.reason!==e.verdict?e.reason:"";return c`<li class="decision verdict-${e.verdict}" data-id=${e.id}>
      <div class="line">
        <span class="time">${this._time(e.time)}</span>
        <span class="what">${this._what(e.tool,e.args)}</span>
        <span class="badge ${we[e.verdict]||""}">${this._t(`verdict.${e.verdict}`)}</span>
      </div>
      ${e.why?c`<div class="why">${this._plain(e.why)}</div>`:l}
      <div class="meta">
        ${this._forWhom(e)}
        ${t?c`<span>${t}</span>`:l}
        <span>${this._t("by",{planner:this._planner(e.planner)})}</span>
        ${s?c`<span class="guard">${this._plain(s)}</span>`:l}
      </div>
    </li>`}_schedulesFor(e){return(this._data?.schedules||[]).filter(t=>!e||se.some(s=>t.args?.[s]===e))}_render_schedules(){let e=this._schedulesFor(this._config.subject);return e.length?c`<ul>
      ${e.map(t=>c`<li class="schedule" data-id=${t.id}>
          <div class="line">
            <span class="time">${this._time(t.at,!0)}</span>
            <span class="what">${this._what(t.tool,t.args)}</span>
            ${this._actionButton("cancel","cancel_schedule",{schedule_id:t.id},t.id)}
          </div>
          ${t.reason?c`<div class="why">${this._plain(t.reason)}</div>`:l}
        </li>`)}
    </ul>`:c`<div class="empty">${this._t("empty.schedules")}</div>`}_render_planner(){let e=this._data,t=this._t("planner.none"),s=[["decides",e.active==="llm"?this._t("planner.llm"):this._t("planner.rules")],["endpoint",e.endpoint||(e.endpoints?.length?e.endpoints.join(", "):this._t("planner.no_endpoint"))],["prompt",e.last_prompt_tokens!=null?this._t("planner.tokens",{n:e.last_prompt_tokens,budget:e.token_budget}):t],["latency",e.last_latency_ms!=null?`${e.last_latency_ms} ms`:t],["shadow",e.shadow?this._t("planner.on"):this._t("planner.off")],["dropped",this._t("planner.dropped_of",{n:e.dropped,total:e.accepted+e.dropped})]];return e.fallbacks&&s.push(["fallbacks",String(e.fallbacks)]),e.last_error&&s.push(["error",e.last_error]),c`<dl>
      ${s.map(([i,r])=>c`<dt>${this._t(`planner.${i}`)}</dt><dd class=${i}>${r}</dd>`)}
    </dl>`}};D(T,"properties",{hass:{attribute:!1},_config:{state:!0},_data:{state:!0},_error:{state:!0},_verdictFilter:{state:!0},_subjectFilter:{state:!0},_busy:{state:!0}}),D(T,"styles",F`
    :host {
      display: block;
    }
    ha-card {
      height: 100%;
    }
    .card-header {
      margin: 0;
      padding: 16px 16px 0;
      font-size: 24px;
      font-weight: 400;
      line-height: 32px;
      color: var(--ha-card-header-color, var(--primary-text-color));
    }
    .content {
      padding: 8px 16px 16px;
    }
    ul {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    li {
      padding: 8px 0;
      border-bottom: 1px solid var(--divider-color, #e0e0e0);
    }
    li:last-child {
      border-bottom: none;
    }
    .line {
      display: flex;
      align-items: baseline;
      gap: 8px;
    }
    .time {
      color: var(--secondary-text-color);
      font-variant-numeric: tabular-nums;
      flex: none;
    }
    .what {
      flex: 1;
      font-weight: 500;
    }
    .why {
      margin-top: 2px;
      color: var(--primary-text-color);
    }
    .meta {
      display: flex;
      flex-wrap: wrap;
      gap: 4px 12px;
      margin-top: 2px;
      font-size: 0.85em;
      color: var(--secondary-text-color);
    }
    .badge {
      flex: none;
      font-size: 0.8em;
      padding: 1px 8px;
      border-radius: 10px;
      background: var(--secondary-background-color, #eee);
    }
    .badge.acted {
      background: var(--success-color, #43a047);
      color: #fff;
    }
    .badge.waiting {
      background: var(--warning-color, #ffa600);
      color: #fff;
    }
    .badge.refused {
      background: var(--error-color, #db4437);
      color: #fff;
    }
    .empty {
      color: var(--secondary-text-color);
      padding: 4px 0;
    }
    .error {
      color: var(--error-color, #db4437);
      padding-bottom: 8px;
    }
    .actions {
      display: flex;
      gap: 8px;
      margin-top: 8px;
    }
    button {
      font: inherit;
      cursor: pointer;
      border-radius: 18px;
      padding: 6px 16px;
      border: 1px solid var(--primary-color, #03a9f4);
      background: transparent;
      color: var(--primary-color, #03a9f4);
    }
    button.approve {
      background: var(--primary-color, #03a9f4);
      color: var(--text-primary-color, #fff);
    }
    button.cancel {
      flex: none;
      padding: 2px 12px;
    }
    button[disabled] {
      opacity: 0.5;
      cursor: default;
    }
    .filters {
      display: flex;
      flex-wrap: wrap;
      gap: 6px;
      align-items: center;
      margin-bottom: 4px;
    }
    .chip {
      padding: 2px 12px;
      border-color: var(--divider-color, #ccc);
      color: var(--primary-text-color);
    }
    .chip.on {
      background: var(--primary-color, #03a9f4);
      border-color: var(--primary-color, #03a9f4);
      color: var(--text-primary-color, #fff);
    }
    select {
      font: inherit;
      margin-left: auto;
      padding: 2px 6px;
      border-radius: 6px;
      border: 1px solid var(--divider-color, #ccc);
      background: var(--card-background-color, #fff);
      color: var(--primary-text-color);
    }
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 6px 16px;
      margin: 0;
    }
    dt {
      color: var(--secondary-text-color);
    }
    dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
  `);customElements.get("ambient-mesh-card")||(customElements.define("ambient-mesh-card",T),window.customCards=window.customCards||[],window.customCards.push({type:"ambient-mesh-card",name:"Ambient Mesh",description:"Decisions with their reasons, requests to approve, scheduled actions and the planner."}));
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/

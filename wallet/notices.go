package wallet

import (
	"strings"

	"github.com/cairn-id/cairn/internal/i18n"
)

// Notice is a warning the holder sees in a preview or a result: a stable
// Code for apps, and Text in the holder's language (en, fr, ar, uk; other
// languages get English). Claim names the claim a per-claim notice is
// about (its JSON Pointer).
type Notice struct {
	Code  string `json:"code"`
	Claim string `json:"claim,omitempty"`
	// Credential names the stored credential a per-credential notice is
	// about.
	Credential string `json:"credential,omitempty"`
	Text       string `json:"text"`
}

// Notice codes.
const (
	// NoticeUntrustedIssuer: the registry does not trust the issuer for
	// the offered type; accepting needs confirmation.
	NoticeUntrustedIssuer = "untrusted_issuer"
	// NoticeSingleCopy: the issuer gave one copy, which every verifier
	// will see (linkable).
	NoticeSingleCopy = "single_copy"
	// NoticeLinkable: a presentation uses a credential that exists as a
	// single copy.
	NoticeLinkable = "linkable"
	// NoticeKeysLow: no unused holder key remains.
	NoticeKeysLow = "keys_low"
	// NoticeUnregisteredVerifier: a development-mode verifier the
	// registry does not know.
	NoticeUnregisteredVerifier = "unregistered_verifier"
	// NoticeOutsidePurpose: the verifier asks for a claim beyond its
	// registered purpose (or has no purpose covering it).
	NoticeOutsidePurpose = "outside_purpose"
	// NoticeRevoked: a credential that matches the request is revoked by
	// its issuer (not offered, unless the holder asked for it).
	NoticeRevoked = "revoked"
	// NoticeSuspended: a credential that matches the request is
	// suspended by its issuer; a verifier will likely refuse it.
	NoticeSuspended = "suspended"
	// NoticeNoHolderBinding: a jpt credential (experimental format) is
	// not bound to a key of the holder: a presentation of it is a bearer
	// token until the verifier's nonce expires.
	NoticeNoHolderBinding = "no_holder_binding"
)

// noticeTexts are the templates per code and language; {name} is
// replaced by the argument of that name.
var noticeTexts = map[string]map[string]string{
	NoticeUntrustedIssuer: {
		"en": "{issuer} is not a trusted issuer of “{type}”. A credential from it may be false or refused by verifiers. Accept it only if you know and trust this issuer.",
		"fr": "{issuer} n’est pas un émetteur reconnu pour « {type} ». Une attestation de sa part peut être fausse ou refusée par les vérificateurs. Acceptez-la seulement si vous connaissez cet émetteur et lui faites confiance.",
		"ar": "{issuer} ليس جهة إصدار موثوقة لـ «{type}». قد تكون الوثيقة الصادرة عنها غير صحيحة أو قد يرفضها المدققون. لا تقبلها إلا إذا كنت تعرف هذه الجهة وتثق بها.",
		"uk": "{issuer} не є довіреним видавцем для «{type}». Документ від нього може бути хибним або його можуть не прийняти перевіряльники. Приймайте його, лише якщо знаєте цього видавця й довіряєте йому.",
	},
	NoticeSingleCopy: {
		"en": "The issuer gave a single copy: every verifier you show it to sees the same credential and could link your visits.",
		"fr": "L’émetteur n’a fourni qu’un seul exemplaire : chaque vérificateur à qui vous le montrez voit la même attestation et pourrait relier vos visites.",
		"ar": "قدّمت جهة الإصدار نسخة واحدة فقط: كل مدقق تعرضها عليه يرى الوثيقة نفسها وقد يربط بين زياراتك.",
		"uk": "Видавець надав лише одну копію: кожен перевіряльник, якому ви її покажете, бачить той самий документ і може пов’язати ваші візити.",
	},
	NoticeLinkable: {
		"en": "Some of these credentials exist as a single copy: verifiers who see them can link your visits.",
		"fr": "Certaines de ces attestations n’existent qu’en un seul exemplaire : les vérificateurs qui les voient peuvent relier vos visites.",
		"ar": "بعض هذه الوثائق موجود بنسخة واحدة فقط: يمكن للمدققين الذين يرونها الربط بين زياراتك.",
		"uk": "Деякі з цих документів існують лише в одній копії: перевіряльники, які їх бачать, можуть пов’язати ваші візити.",
	},
	NoticeKeysLow: {
		"en": "Your wallet has no unused key left: this verifier may be able to link you with another one. Refresh your keys and ask your issuers for new copies.",
		"fr": "Votre portefeuille n’a plus de clé inutilisée : ce vérificateur pourrait vous relier à un autre. Renouvelez vos clés et demandez de nouveaux exemplaires à vos émetteurs.",
		"ar": "لم يعد في محفظتك أي مفتاح غير مستخدم: قد يتمكن هذا المدقق من ربطك بمدقق آخر. جدّد مفاتيحك واطلب نسخًا جديدة من جهات الإصدار.",
		"uk": "У вашому гаманці не залишилося невикористаних ключів: цей перевіряльник може пов’язати вас з іншим. Оновіть ключі й попросіть видавців про нові копії.",
	},
	NoticeUnregisteredVerifier: {
		"en": "This verifier is not registered (development mode): nothing tells who it is.",
		"fr": "Ce vérificateur n’est pas enregistré (mode développement) : rien n’indique qui il est.",
		"ar": "هذا المدقق غير مسجل (وضع التطوير): لا شيء يبيّن هويته.",
		"uk": "Цей перевіряльник не зареєстрований (режим розробки): ніщо не вказує, хто він.",
	},
	NoticeOutsidePurpose: {
		"en": "{verifier} asks for “{claim}”, beyond its registered purpose “{purpose}”.",
		"fr": "{verifier} demande « {claim} », au-delà de sa finalité enregistrée « {purpose} ».",
		"ar": "يطلب {verifier} «{claim}» خارج الغرض المسجل له «{purpose}».",
		"uk": "{verifier} запитує «{claim}» понад свою зареєстровану мету «{purpose}».",
	},
	NoticeOutsidePurpose + "/none": {
		"en": "{verifier} asks for “{claim}”, but no registered purpose of it covers that.",
		"fr": "{verifier} demande « {claim} », mais aucune de ses finalités enregistrées ne le couvre.",
		"ar": "يطلب {verifier} «{claim}» لكن لا يشمل ذلك أي غرض مسجل له.",
		"uk": "{verifier} запитує «{claim}», але жодна його зареєстрована мета цього не охоплює.",
	},
	NoticeRevoked + "/excluded": {
		"en": "Your “{type}” from {issuer} has been revoked by the issuer. It is not offered here: a verifier would refuse it.",
		"fr": "Votre « {type} » de {issuer} a été révoqué par l’émetteur. Il n’est pas proposé ici : un vérificateur le refuserait.",
		"ar": "ألغت جهة الإصدار {issuer} وثيقتك «{type}». لا تُعرض هنا: سيرفضها المدقق.",
		"uk": "Ваш документ «{type}» від {issuer} відкликано видавцем. Його тут не запропоновано: перевіряльник його відхилить.",
	},
	NoticeRevoked: {
		"en": "Your “{type}” from {issuer} has been revoked by the issuer: a verifier will most likely refuse it.",
		"fr": "Votre « {type} » de {issuer} a été révoqué par l’émetteur : un vérificateur le refusera très probablement.",
		"ar": "ألغت جهة الإصدار {issuer} وثيقتك «{type}»: من المرجح جدًا أن يرفضها المدقق.",
		"uk": "Ваш документ «{type}» від {issuer} відкликано видавцем: перевіряльник, найімовірніше, його відхилить.",
	},
	NoticeSuspended: {
		"en": "Your “{type}” from {issuer} is suspended by the issuer for now: a verifier will most likely refuse it. Ask the issuer why.",
		"fr": "Votre « {type} » de {issuer} est suspendu pour l’instant par l’émetteur : un vérificateur le refusera très probablement. Demandez pourquoi à l’émetteur.",
		"ar": "علّقت جهة الإصدار {issuer} وثيقتك «{type}» مؤقتًا: من المرجح جدًا أن يرفضها المدقق. اسأل جهة الإصدار عن السبب.",
		"uk": "Ваш документ «{type}» від {issuer} тимчасово призупинено видавцем: перевіряльник, найімовірніше, його відхилить. Запитайте видавця чому.",
	},
	NoticeNoHolderBinding: {
		"en": "This format has no holder binding: anyone holding this presentation could replay it until the verifier’s nonce expires. In exchange, the proof itself does not let verifiers link your presentations (the information you share still can).",
		"fr": "Ce format n’a pas de lien avec le détenteur : toute personne qui obtient cette présentation pourrait la réutiliser jusqu’à l’expiration du nonce du vérificateur. En échange, la preuve elle-même ne permet pas aux vérificateurs de relier vos présentations (les informations partagées, elles, le peuvent).",
		"ar": "هذه الصيغة غير مرتبطة بحاملها: يمكن لأي شخص يحصل على هذا العرض أن يعيد استخدامه إلى أن ينتهي رمز التحقق (nonce) الخاص بالمدقق. في المقابل، لا يتيح الإثبات نفسه للمدققين الربط بين عروضك (لكن المعلومات التي تشاركها قد تتيح ذلك).",
		"uk": "Цей формат не прив’язаний до власника: будь-хто, у кого опиниться це пред’явлення, може використати його повторно, доки не спливе nonce перевіряльника. Натомість сам доказ не дає перевіряльникам пов’язати ваші пред’явлення (але відомості, якими ви ділитеся, можуть).",
	},
}

// Unicode directional isolates (UAX #9 §2.4): FSI starts an isolate
// whose direction is its first strong character, PDI ends it.
const (
	fsi = "\u2068"
	pdi = "\u2069"
)

// notice builds the notice of key (a code, or code + "/variant") in lang
// (a tag or an Accept-Language list, picked by i18n.Pick) with the
// arguments given as name, value pairs. Each inserted value is wrapped
// in directional isolates: a Latin-script name or claim label inside an
// Arabic sentence (or an Arabic name inside an English one) keeps its
// place and its own order instead of being reordered with the words
// around it.
func notice(key, lang string, args ...string) Notice {
	code, _, _ := strings.Cut(key, "/")
	text := noticeTexts[key][i18n.Pick(lang)]
	for i := 0; i+1 < len(args); i += 2 {
		text = strings.ReplaceAll(text, "{"+args[i]+"}", fsi+args[i+1]+pdi)
	}
	return Notice{Code: code, Text: text}
}

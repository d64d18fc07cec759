package verifier

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cairn-id/cairn/internal/oid4vp"
	"github.com/cairn-id/cairn/internal/vccheck"
)

// Code is the stable snake_case name of a verification outcome or a
// refusal. Codes never change meaning; new ones may be added. The codes of
// internal/vccheck (and, through it, internal/sdjwt) are used as they are.
type Code string

// Codes of this package, beyond vccheck's.
const (
	CodeValid Code = "valid"
	// Per credential.
	CodeKBAudienceNoPrefix Code = "kb_audience_without_prefix"
	CodeSchemaInvalid      Code = "schema_invalid"
	CodeUnknownType        Code = "unknown_credential_type"
	// Per presentation.
	CodeQueryNotSatisfied Code = "query_not_satisfied"
	CodeHolderMismatch    Code = "holder_mismatch"
	CodeIdentityMismatch  Code = "identity_inconsistent"
	CodeWalletDeclined    Code = "wallet_declined"
	CodeInvalidResponse   Code = "invalid_response"
	CodeStateMismatch     Code = "state_mismatch"
	// Sessions.
	CodeSessionNotFound Code = "session_not_found"
	CodeSessionExpired  Code = "session_expired"
	CodeRequestUsed     Code = "request_already_fetched"
	CodeResponseReplay  Code = "response_replayed"
	CodeResultPending   Code = "result_pending"
	CodeUnknownPurpose  Code = "unknown_purpose"
	CodeWalletNonce     Code = "invalid_wallet_nonce"
	// HAIP (the OIDF oid4vp-1final-verifier-haip-test-plan's negative
	// modules and the same-device flow).
	CodeWalletError         Code = "wallet_error"
	CodeKBSignature         Code = "key_binding_signature_invalid"
	CodeEncKeyReused        Code = "encryption_key_reused"
	CodeEncKeyMismatch      Code = "encryption_key_mismatch"
	CodeResultOtherSession  Code = "result_claimed_by_other_session"
	CodeResponseCodeInvalid Code = "response_code_invalid"
	CodeProfileRefused      Code = "profile_refused"
	// The experimental jpt format (per credential): a proof seen before
	// (a replayed bearer presentation), made for another verifier or
	// another request, a proof that does not verify (a claim value
	// swapped in, anything altered), an issuer key not in the registry.
	CodeJPTReplayed        Code = "jpt_replayed"
	CodeJPTAudience        Code = "jpt_audience_mismatch"
	CodeJPTNonce           Code = "jpt_nonce_mismatch"
	CodeJPTProofInvalid    Code = "jpt_proof_invalid"
	CodeJPTKeyUnregistered Code = "jpt_key_unregistered"
	// CodeNoHolderBinding is not an outcome: the note on every jpt
	// credential result.
	CodeNoHolderBinding Code = "no_holder_binding"
	// Offline.
	CodeBundleStale     Code = "bundle_stale"
	CodeBundleInvalid   Code = "bundle_invalid"
	CodeChallengeNeeded Code = "challenge_mismatch"
	CodeNoQR            Code = "qr_unreadable"
	// Warnings about the verifier's own request (OverAsking), not
	// outcomes: the registry does not let this verifier ask for all of
	// its purpose's claims, or not for the purpose at all.
	CodeOutsidePurpose       Code = "outside_purpose"
	CodePurposeNotAuthorized Code = "purpose_not_authorized"
)

// Outcomes: how a result reads at a glance.
const (
	OutcomeValid = "valid"
	// OutcomeInvalid: something checked and failed (signature, trust,
	// revocation, binding, the query).
	OutcomeInvalid = "invalid"
	// OutcomeUndetermined: a check could not be made (a status list
	// unreachable): not valid, and not shown as invalid either.
	OutcomeUndetermined = "undetermined"
	// OutcomeReview: every credential verified but the core identity
	// claims disagree; a caseworker must look.
	OutcomeReview = "review"
)

// OutcomeOf is the outcome a code reads as.
func OutcomeOf(c Code) string {
	switch c {
	case CodeValid, "":
		return OutcomeValid
	case Code(vccheck.CodeStatusUnavailable):
		return OutcomeUndetermined
	case CodeIdentityMismatch:
		return OutcomeReview
	}
	return OutcomeInvalid
}

// codeOf classifies a credential verification error: vccheck's codes, with
// a KB-JWT aud that is the client id without its prefix told apart.
func codeOf(err error) Code {
	if err == nil {
		return CodeValid
	}
	if errors.Is(err, errKBAudienceNoPrefix) {
		return CodeKBAudienceNoPrefix
	}
	if errors.Is(err, oid4vp.ErrResponseMismatch) {
		return CodeQueryNotSatisfied
	}
	return Code(vccheck.Classify(err))
}

var errKBAudienceNoPrefix = errors.New("verifier: key binding aud is the verifier's DID without the decentralized_identifier: prefix")

// Languages are the languages every message exists in.
var Languages = []string{"en", "fr", "ar", "uk"}

type msg struct{ en, fr, ar, uk string }

// A damaged presentation: the format codes of internal/sdjwt share it.
var malformed = msg{
	"The presentation is damaged or not in the expected format. Ask the person to share it again.",
	"La présentation est endommagée ou n'a pas le format attendu. Demandez à la personne de la partager à nouveau.",
	"العرض تالف أو ليس بالصيغة المتوقعة. اطلب من الشخص مشاركته مرة أخرى.",
	"Пред'явлення пошкоджене або має неочікуваний формат. Попросіть людину поділитися ним ще раз.",
}

var messages = map[Code]msg{
	CodeValid: {"The credentials are genuine, their issuers are trusted for them, and none is revoked.",
		"Les attestations sont authentiques, leurs émetteurs sont reconnus pour elles et aucune n'est révoquée.",
		"الوثائق أصلية، والجهات المصدرة لها موثوقة لإصدارها، ولم يُلغَ أيٌّ منها.",
		"Посвідчення справжні, їхні видавці уповноважені їх видавати, і жодне не відкликане."},
	Code(vccheck.CodeInvalid): malformed,
	Code(vccheck.CodeUntrusted): {"The issuer of a credential is not in the trust registry.",
		"L'émetteur d'une attestation ne figure pas dans le registre de confiance.",
		"الجهة المصدرة لإحدى الوثائق غير موجودة في سجل الثقة.",
		"Видавця посвідчення немає в реєстрі довіри."},
	Code(vccheck.CodeIssuerKeyUnresolved): {"The issuer's key could not be found, so the credential could not be checked.",
		"La clé de l'émetteur est introuvable ; l'attestation n'a pas pu être vérifiée.",
		"تعذّر العثور على مفتاح الجهة المصدرة، فلم يمكن التحقق من الوثيقة.",
		"Не вдалося знайти ключ видавця, тому посвідчення не перевірено."},
	Code(vccheck.CodeMissingClaim): {"A credential lacks information every credential must carry.",
		"Une attestation ne contient pas une information obligatoire.",
		"تفتقد إحدى الوثائق معلومة إلزامية.",
		"У посвідченні бракує обов'язкових відомостей."},
	Code(vccheck.CodeExpired): {"A credential has expired.",
		"Une attestation a expiré.",
		"انتهت صلاحية إحدى الوثائق.",
		"Строк дії посвідчення минув."},
	Code(vccheck.CodeNotYetValid): {"A credential is not valid yet.",
		"Une attestation n'est pas encore valide.",
		"إحدى الوثائق ليست سارية بعد.",
		"Посвідчення ще не набуло чинності."},
	Code(vccheck.CodeRevoked): {"A credential was revoked by its issuer.",
		"Une attestation a été révoquée par son émetteur.",
		"ألغت الجهة المصدرة إحدى الوثائق.",
		"Видавець відкликав посвідчення."},
	Code(vccheck.CodeSuspended): {"A credential is suspended by its issuer for now.",
		"Une attestation est suspendue par son émetteur pour le moment.",
		"أوقفت الجهة المصدرة إحدى الوثائق مؤقتًا.",
		"Видавець тимчасово призупинив посвідчення."},
	Code(vccheck.CodeNotAuthorized): {"The issuer was not authorized to issue this kind of credential when it issued it.",
		"L'émetteur n'était pas autorisé à délivrer ce type d'attestation au moment de l'émission.",
		"لم تكن الجهة المصدرة مخوّلة بإصدار هذا النوع من الوثائق وقت إصدارها.",
		"Видавець не мав права видавати посвідчення цього типу на момент видачі."},
	Code(vccheck.CodeStatusUnavailable): {"Whether a credential was revoked could not be checked right now (its status list was unreachable). This is not a refusal: try again later.",
		"Impossible de vérifier pour l'instant si une attestation a été révoquée (liste de statut injoignable). Ce n'est pas un refus : réessayez plus tard.",
		"تعذّر الآن التحقق مما إذا كانت إحدى الوثائق ملغاة (قائمة الحالة غير متاحة). هذا ليس رفضًا: حاول لاحقًا.",
		"Наразі неможливо перевірити, чи посвідчення відкликане (список статусів недоступний). Це не відмова: спробуйте пізніше."},
	"invalid_signature": {"A signature does not match: the credential may have been altered.",
		"Une signature ne correspond pas : l'attestation a peut-être été modifiée.",
		"أحد التواقيع غير مطابق: ربما عُدّلت الوثيقة.",
		"Підпис не збігається: посвідчення могло бути змінене."},
	"nonce_mismatch": {"The presentation was made for another request (wrong nonce); it may be a replay.",
		"La présentation a été faite pour une autre demande (nonce incorrect) ; il peut s'agir d'une réutilisation.",
		"أُعدّ العرض لطلب آخر (رمز غير صحيح)؛ قد يكون إعادة استخدام.",
		"Пред'явлення зроблено для іншого запиту (хибний nonce); можливе повторне використання."},
	"audience_mismatch": {"The presentation was made for another verifier.",
		"La présentation était destinée à un autre vérificateur.",
		"أُعدّ العرض لجهة تحقق أخرى.",
		"Пред'явлення призначене іншому перевіряльнику."},
	CodeKBAudienceNoPrefix: {"The wallet addressed the presentation to this verifier's DID without the required client id prefix; the wallet needs an update.",
		"Le portefeuille a adressé la présentation au DID du vérificateur sans le préfixe d'identifiant client requis ; il doit être mis à jour.",
		"وجّهت المحفظة العرض إلى المعرّف اللامركزي لجهة التحقق دون البادئة المطلوبة؛ يجب تحديث المحفظة.",
		"Гаманець адресував пред'явлення DID перевіряльника без обов'язкового префікса ідентифікатора клієнта; гаманець потребує оновлення."},
	"key_binding_missing": {"The presentation does not prove that the person holds the credential.",
		"La présentation ne prouve pas que la personne détient l'attestation.",
		"لا يثبت العرض أن الشخص يحوز الوثيقة.",
		"Пред'явлення не доводить, що людина володіє посвідченням."},
	"key_binding_invalid": {"The proof that the person holds the credential is not valid.",
		"La preuve de détention de l'attestation n'est pas valide.",
		"إثبات حيازة الوثيقة غير صالح.",
		"Доказ володіння посвідченням недійсний."},
	"key_binding_iat": {"The presentation was made too long ago or in the future; ask for a new one.",
		"La présentation a été faite il y a trop longtemps ou dans le futur ; demandez-en une nouvelle.",
		"أُعدّ العرض منذ وقت طويل أو بتاريخ مستقبلي؛ اطلب عرضًا جديدًا.",
		"Пред'явлення зроблене надто давно або в майбутньому; попросіть нове."},
	"sd_hash_mismatch": {"The proof of holding does not cover what was shown.",
		"La preuve de détention ne couvre pas ce qui a été montré.",
		"إثبات الحيازة لا يغطي ما عُرض.",
		"Доказ володіння не охоплює показане."},
	"holder_key_missing": {"The credential is not bound to a key of the person.",
		"L'attestation n'est liée à aucune clé de la personne.",
		"الوثيقة غير مرتبطة بمفتاح للشخص.",
		"Посвідчення не прив'язане до ключа людини."},
	CodeSchemaInvalid: {"A credential's information does not match its type.",
		"Les informations d'une attestation ne correspondent pas à son type.",
		"معلومات إحدى الوثائق لا تطابق نوعها.",
		"Відомості посвідчення не відповідають його типу."},
	CodeUnknownType: {"A credential is of a type this verifier does not know.",
		"Une attestation est d'un type que ce vérificateur ne connaît pas.",
		"إحدى الوثائق من نوع لا تعرفه جهة التحقق هذه.",
		"Посвідчення має тип, невідомий цьому перевіряльнику."},
	CodeQueryNotSatisfied: {"What was shared does not answer what was asked for this purpose.",
		"Ce qui a été partagé ne répond pas à la demande pour cette finalité.",
		"ما تمت مشاركته لا يلبي ما طُلب لهذا الغرض.",
		"Надане не відповідає запиту для цієї мети."},
	CodeHolderMismatch: {"The credentials shown belong to different holders; they are refused together.",
		"Les attestations présentées appartiennent à des détenteurs différents ; elles sont refusées ensemble.",
		"الوثائق المعروضة تعود إلى حائزين مختلفين؛ رُفضت جميعها.",
		"Пред'явлені посвідчення належать різним власникам; їх відхилено разом."},
	CodeIdentityMismatch: {"The credentials are genuine but their names or birth dates disagree; review them.",
		"Les attestations sont authentiques mais leurs noms ou dates de naissance diffèrent ; examinez-les.",
		"الوثائق أصلية لكن الأسماء أو تواريخ الميلاد فيها غير متطابقة؛ راجعها.",
		"Посвідчення справжні, але імена чи дати народження розходяться; перегляньте їх."},
	CodeWalletDeclined: {"The person declined to share.",
		"La personne a refusé le partage.",
		"رفض الشخص المشاركة.",
		"Людина відмовилася ділитися."},
	CodeInvalidResponse: {"The wallet's answer could not be read.",
		"La réponse du portefeuille est illisible.",
		"تعذّرت قراءة رد المحفظة.",
		"Не вдалося прочитати відповідь гаманця."},
	CodeStateMismatch: {"The wallet's answer belongs to another request.",
		"La réponse du portefeuille correspond à une autre demande.",
		"رد المحفظة يخص طلبًا آخر.",
		"Відповідь гаманця стосується іншого запиту."},
	CodeSessionNotFound: {"There is no such request.",
		"Cette demande n'existe pas.",
		"لا يوجد طلب كهذا.",
		"Такого запиту немає."},
	CodeSessionExpired: {"The request has expired; start a new one.",
		"La demande a expiré ; créez-en une nouvelle.",
		"انتهت صلاحية الطلب؛ أنشئ طلبًا جديدًا.",
		"Строк запиту минув; створіть новий."},
	CodeRequestUsed: {"This request was already opened by a wallet; start a new one.",
		"Cette demande a déjà été ouverte par un portefeuille ; créez-en une nouvelle.",
		"سبق أن فتحت محفظةٌ هذا الطلب؛ أنشئ طلبًا جديدًا.",
		"Цей запит уже відкрив гаманець; створіть новий."},
	CodeResponseReplay: {"This request was already answered; a second answer is refused.",
		"Cette demande a déjà reçu une réponse ; une seconde est refusée.",
		"سبق الرد على هذا الطلب؛ رُفض الرد الثاني.",
		"На цей запит уже відповіли; другу відповідь відхилено."},
	CodeResultPending: {"No answer yet.",
		"Pas encore de réponse.",
		"لا يوجد رد بعد.",
		"Відповіді ще немає."},
	CodeUnknownPurpose: {"This verifier has no such purpose.",
		"Ce vérificateur n'a pas cette finalité.",
		"لا يوجد لدى جهة التحقق هذه غرض كهذا.",
		"Цей перевіряльник не має такої мети."},
	CodeWalletNonce: {"The wallet's request for the request object was malformed.",
		"La demande de l'objet de requête par le portefeuille est malformée.",
		"طلب المحفظة لكائن الطلب غير سليم.",
		"Запит гаманця на об'єкт запиту хибний."},
	CodeBundleStale: {"The offline bundle is past its expiry; refresh it, or accept it knowingly.",
		"Le paquet hors ligne a expiré ; mettez-le à jour, ou acceptez-le en connaissance de cause.",
		"انتهت صلاحية الحزمة غير المتصلة؛ حدّثها أو اقبلها عن علم.",
		"Строк офлайн-пакета минув; оновіть його або прийміть свідомо."},
	CodeBundleInvalid: {"The offline bundle could not be verified.",
		"Le paquet hors ligne n'a pas pu être vérifié.",
		"تعذّر التحقق من الحزمة غير المتصلة.",
		"Не вдалося перевірити офлайн-пакет."},
	CodeChallengeNeeded: {"The presentation was not made for the challenge shown on this screen.",
		"La présentation n'a pas été faite pour le code affiché sur cet écran.",
		"لم يُعدّ العرض للرمز الظاهر على هذه الشاشة.",
		"Пред'явлення зроблене не для коду, показаного на цьому екрані."},
	CodeOutsidePurpose: {"This request asks for more than the trust registry lets this desk ask for this purpose: wallets warn the person about the claims beyond it.",
		"Cette demande porte sur plus que ce que le registre de confiance autorise ce guichet à demander pour cette finalité : les portefeuilles avertissent la personne des informations en trop.",
		"يطلب هذا الطلب أكثر مما يسمح به سجل الثقة لهذا المكتب لهذا الغرض: تنبّه المحافظ الشخص إلى المعلومات الزائدة.",
		"Цей запит просить більше, ніж реєстр довіри дозволяє цьому пункту для цієї мети: гаманці попереджають людину про зайві відомості."},
	CodePurposeNotAuthorized: {"The trust registry does not authorize this desk for this purpose now: wallets warn the person, or refuse.",
		"Le registre de confiance n'autorise pas actuellement ce guichet pour cette finalité : les portefeuilles avertissent la personne, ou refusent.",
		"لا يأذن سجل الثقة لهذا المكتب بهذا الغرض حاليًا: تنبّه المحافظ الشخص أو ترفض.",
		"Реєстр довіри зараз не дозволяє цьому пункту цю мету: гаманці попереджають людину або відмовляють."},
	CodeWalletError: {"The wallet answered with an error instead of a presentation; its error is shown with the result.",
		"Le portefeuille a répondu par une erreur au lieu d'une présentation ; son erreur est indiquée avec le résultat.",
		"ردّت المحفظة بخطأ بدلًا من العرض؛ يظهر خطؤها مع النتيجة.",
		"Гаманець відповів помилкою замість пред'явлення; її показано разом із результатом."},
	CodeKBSignature: {"The proof that the person holds the credential is not signed by the credential's key: it may be a copy.",
		"La preuve de détention n'est pas signée par la clé de l'attestation : il peut s'agir d'une copie.",
		"إثبات الحيازة غير موقّع بمفتاح الوثيقة: قد تكون نسخة.",
		"Доказ володіння не підписаний ключем посвідчення: це може бути копія."},
	CodeEncKeyReused: {"The answer was encrypted to the key of another request; it is refused.",
		"La réponse a été chiffrée pour la clé d'une autre demande ; elle est refusée.",
		"شُفّر الرد بمفتاح طلب آخر؛ رُفض.",
		"Відповідь зашифровано ключем іншого запиту; її відхилено."},
	CodeEncKeyMismatch: {"The answer was not encrypted to this request's key.",
		"La réponse n'a pas été chiffrée pour la clé de cette demande.",
		"لم يُشفَّر الرد بمفتاح هذا الطلب.",
		"Відповідь не зашифровано ключем цього запиту."},
	CodeResultOtherSession: {"This code belongs to another request: the result is released only where that request was started.",
		"Ce code appartient à une autre demande : le résultat n'est remis que là où cette demande a été lancée.",
		"هذا الرمز يخص طلبًا آخر: لا تُسلَّم النتيجة إلا حيث بدأ ذلك الطلب.",
		"Цей код належить іншому запиту: результат видається лише там, де запит розпочато."},
	CodeResponseCodeInvalid: {"The response code is missing, wrong or already used.",
		"Le code de réponse est absent, erroné ou déjà utilisé.",
		"رمز الرد مفقود أو خاطئ أو مستخدم من قبل.",
		"Код відповіді відсутній, хибний або вже використаний."},
	CodeProfileRefused: {"The verifier's profile does not allow this (HAIP: X.509 identity, signed requests, encrypted answers only).",
		"Le profil du vérificateur ne le permet pas (HAIP : identité X.509, demandes signées, réponses chiffrées uniquement).",
		"لا يسمح ملف تعريف جهة التحقق بهذا (HAIP: هوية X.509، طلبات موقّعة، ردود مشفّرة فقط).",
		"Профіль перевіряльника цього не дозволяє (HAIP: ідентичність X.509, підписані запити, лише зашифровані відповіді)."},
	// X.509 issuers and the EU PID profile (internal/vccheck).
	Code(vccheck.CodeIssuerCompromised): {"The issuer's key was reported stolen or misused, so nothing it signed can be trusted. Do not accept it; the person should ask the issuer for a new credential.",
		"La clé de l'émetteur a été déclarée volée ou détournée : rien de ce qu'elle a signé n'est fiable. Ne l'acceptez pas ; la personne doit demander une nouvelle attestation à l'émetteur.",
		"أُبلغ عن سرقة مفتاح الجهة المصدرة أو إساءة استخدامه، فلا يمكن الوثوق بأي شيء وقّعه. لا تقبل الوثيقة؛ على الشخص أن يطلب وثيقة جديدة من الجهة المصدرة.",
		"Повідомлено, що ключ видавця викрадено або використано зловмисно, тож нічому, що ним підписано, довіряти не можна. Не приймайте посвідчення; людині слід попросити у видавця нове."},
	Code(vccheck.CodeNoX5C): {"The credential has no issuer certificate, which an EU identity credential (PID) must have. Do not accept it; the person should ask the issuer for a new credential.",
		"L'attestation n'a pas de certificat d'émetteur, alors qu'une attestation d'identité européenne (PID) doit en avoir un. Ne l'acceptez pas ; la personne doit demander une nouvelle attestation à l'émetteur.",
		"لا تحمل الوثيقة شهادة الجهة المصدرة، وهي إلزامية لوثيقة الهوية الأوروبية (PID). لا تقبلها؛ على الشخص أن يطلب وثيقة جديدة من الجهة المصدرة.",
		"Посвідчення не має сертифіката видавця, хоча європейське посвідчення особи (PID) повинно його мати. Не приймайте його; людині слід попросити у видавця нове."},
	Code(vccheck.CodeUntrustedChain): {"The issuer's certificate does not lead back to a provider this desk trusts. Do not accept it; if the provider should be trusted, ask your administrator to import its trusted list.",
		"Le certificat de l'émetteur ne remonte pas à un fournisseur reconnu par ce guichet. Ne l'acceptez pas ; si ce fournisseur doit être reconnu, demandez à votre administrateur d'importer sa liste de confiance.",
		"شهادة الجهة المصدرة لا تعود إلى جهة يثق بها هذا المكتب. لا تقبل الوثيقة؛ إذا كان يجب الوثوق بهذه الجهة فاطلب من المسؤول استيراد قائمتها الموثوقة.",
		"Сертифікат видавця не веде до постачальника, якому довіряє цей пункт. Не приймайте посвідчення; якщо цьому постачальнику слід довіряти, попросіть адміністратора імпортувати його довірчий список."},
	Code(vccheck.CodeWrongVCT): {"The credential is not an EU identity credential (PID), though one was expected. Do not accept it as proof of identity.",
		"L'attestation n'est pas une attestation d'identité européenne (PID), alors qu'une telle attestation était attendue. Ne l'acceptez pas comme preuve d'identité.",
		"الوثيقة ليست وثيقة هوية أوروبية (PID) مع أن هذا ما كان متوقعًا. لا تقبلها إثباتًا للهوية.",
		"Це не європейське посвідчення особи (PID), хоча очікувалося саме воно. Не приймайте його як доказ особи."},
	Code(vccheck.CodeCertificateProfile): {"The issuer's certificate does not meet the rules for EU identity credential providers. Do not accept it; tell your administrator if this provider should be accepted.",
		"Le certificat de l'émetteur ne respecte pas les règles applicables aux fournisseurs d'attestations d'identité européennes. Ne l'acceptez pas ; prévenez votre administrateur si ce fournisseur doit être accepté.",
		"شهادة الجهة المصدرة لا تستوفي القواعد الخاصة بمزوّدي وثائق الهوية الأوروبية. لا تقبل الوثيقة؛ أبلغ المسؤول إذا كان يجب قبول هذا المزوّد.",
		"Сертифікат видавця не відповідає правилам для постачальників європейських посвідчень особи. Не приймайте посвідчення; повідомте адміністратора, якщо цього постачальника слід приймати."},
	Code(vccheck.CodeCertificateRevoked): {"The issuer's certificate has been revoked by the authority that granted it. Do not accept it; the person should ask the issuer for a new credential.",
		"Le certificat de l'émetteur a été révoqué par l'autorité qui l'avait délivré. Ne l'acceptez pas ; la personne doit demander une nouvelle attestation à l'émetteur.",
		"ألغت السلطة المانحة شهادة الجهة المصدرة. لا تقبل الوثيقة؛ على الشخص أن يطلب وثيقة جديدة من الجهة المصدرة.",
		"Орган, що видав сертифікат видавця, відкликав його. Не приймайте посвідчення; людині слід попросити у видавця нове."},
	"wrong_typ": {"The credential is in an old or unexpected format this desk does not accept. Ask the person to update their wallet and present it again.",
		"L'attestation est dans un format ancien ou inattendu que ce guichet n'accepte pas. Demandez à la personne de mettre à jour son portefeuille et de la présenter à nouveau.",
		"الوثيقة بصيغة قديمة أو غير متوقعة لا يقبلها هذا المكتب. اطلب من الشخص تحديث محفظته وعرضها مرة أخرى.",
		"Посвідчення має застарілий або неочікуваний формат, який цей пункт не приймає. Попросіть людину оновити гаманець і пред'явити його ще раз."},
	"unsupported_sd_alg": {"The credential is protected with a method (hash algorithm) this desk does not accept. Ask the person to get an up-to-date credential from the issuer.",
		"L'attestation est protégée par une méthode (algorithme de hachage) que ce guichet n'accepte pas. Demandez à la personne d'obtenir une attestation à jour auprès de l'émetteur.",
		"الوثيقة محمية بطريقة (خوارزمية تجزئة) لا يقبلها هذا المكتب. اطلب من الشخص الحصول على وثيقة محدّثة من الجهة المصدرة.",
		"Посвідчення захищене способом (алгоритмом гешування), який цей пункт не приймає. Попросіть людину отримати у видавця актуальне посвідчення."},
	CodeJPTReplayed: {"This presentation was already shown once: it is a copy being replayed and is refused. Ask the person to share again from their wallet.",
		"Cette présentation a déjà été montrée une fois : c’est une copie réutilisée, elle est refusée. Demandez à la personne de partager à nouveau depuis son portefeuille.",
		"سبق عرض هذا العرض مرة: إنه نسخة يُعاد استخدامها، فرُفض. اطلب من الشخص المشاركة مجددًا من محفظته.",
		"Це пред’явлення вже показували один раз: це повторно використана копія, її відхилено. Попросіть людину поділитися ще раз зі свого гаманця."},
	CodeJPTAudience: {"The presentation was made for another verifier, not this desk.",
		"La présentation a été faite pour un autre vérificateur, pas pour ce guichet.",
		"أُعدّ العرض لجهة تحقق أخرى، لا لهذا المكتب.",
		"Пред’явлення зроблене для іншого перевіряльника, а не для цього пункту."},
	CodeJPTNonce: {"The presentation was made for another request (wrong nonce): it may be a copy being replayed.",
		"La présentation a été faite pour une autre demande (nonce incorrect) : il peut s’agir d’une copie réutilisée.",
		"أُعدّ العرض لطلب آخر (رمز nonce خاطئ): قد يكون نسخة يُعاد استخدامها.",
		"Пред’явлення зроблене для іншого запиту (хибний nonce): можливо, це повторно використана копія."},
	CodeJPTProofInvalid: {"The proof does not match what was shown: a value may have been changed.",
		"La preuve ne correspond pas à ce qui a été montré : une valeur a peut-être été modifiée.",
		"الإثبات لا يطابق ما عُرض: ربما غُيّرت إحدى القيم.",
		"Доказ не відповідає показаному: можливо, якесь значення змінили."},
	CodeJPTKeyUnregistered: {"The credential was signed with a key the trust registry does not know.",
		"L’attestation a été signée avec une clé que le registre de confiance ne connaît pas.",
		"وُقّعت الوثيقة بمفتاح لا يعرفه سجل الثقة.",
		"Посвідчення підписане ключем, якого не знає реєстр довіри."},
	CodeNoHolderBinding: {"This credential has no holder binding: it proves the facts, not that the person in front of you holds it. Anyone with this presentation could have replayed it until the request expired; check identity by other means if it matters.",
		"Cette attestation n’a pas de lien avec son détenteur : elle prouve les faits, pas que la personne devant vous la détient. Quiconque avait cette présentation pouvait la réutiliser jusqu’à l’expiration de la demande ; vérifiez l’identité autrement si c’est important.",
		"هذه الوثيقة غير مرتبطة بحاملها: تثبت الوقائع، لا أن الشخص الذي أمامك يحوزها. كان بإمكان أي شخص لديه هذا العرض إعادة استخدامه حتى انتهاء صلاحية الطلب؛ تحقّق من الهوية بوسيلة أخرى إن كان ذلك مهمًا.",
		"Це посвідчення не прив’язане до власника: воно доводить факти, а не те, що ним володіє людина перед вами. Будь-хто з цим пред’явленням міг використати його повторно, доки не сплив запит; перевірте особу іншим способом, якщо це важливо."},
	CodeNoQR: {"No readable QR code was found in the image.",
		"Aucun code QR lisible dans l'image.",
		"لم يُعثر على رمز QR مقروء في الصورة.",
		"На зображенні немає читабельного QR-коду."},
}

// provisional are the notes of a provisional assessment (a status that
// could not be checked): %s is the profile met, or the nearest one.
var provisional = struct{ met, none msg }{
	msg{"Provisional: meets profile %s if the status is confirmed. Revocation could not be checked; check again before relying on it.",
		"Provisoire : satisfait au profil %s si le statut est confirmé. La révocation n'a pas pu être vérifiée ; vérifiez à nouveau avant de vous y fier.",
		"مؤقت: يستوفي الملف %s إذا تأكدت الحالة. تعذّر التحقق من الإلغاء؛ تحقق مرة أخرى قبل الاعتماد عليه.",
		"Попередньо: відповідає профілю %s, якщо статус підтвердиться. Відкликання не вдалося перевірити; перевірте ще раз, перш ніж покладатися на це."},
	msg{"Provisional: meets no profile even if the status is confirmed (nearest: %s).",
		"Provisoire : ne satisfait à aucun profil, même si le statut est confirmé (le plus proche : %s).",
		"مؤقت: لا يستوفي أي ملف حتى لو تأكدت الحالة (الأقرب: %s).",
		"Попередньо: не відповідає жодному профілю, навіть якщо статус підтвердиться (найближчий: %s)."},
}

// provisionalNote is the note of a provisional assessment a (the
// assurance result's JSON) in lang; "" when a cannot be read.
func provisionalNote(a json.RawMessage, lang string) string {
	var r struct {
		Met, Nearest *struct {
			Profile string `json:"profile"`
		}
	}
	if len(a) == 0 || json.Unmarshal(a, &r) != nil {
		return ""
	}
	switch {
	case r.Met != nil:
		return fmt.Sprintf(pick(provisional.met, lang), r.Met.Profile)
	case r.Nearest != nil:
		return fmt.Sprintf(pick(provisional.none, lang), r.Nearest.Profile)
	}
	return ""
}

func pick(m msg, lang string) string {
	switch lang {
	case "fr":
		return m.fr
	case "ar":
		return m.ar
	case "uk":
		return m.uk
	}
	return m.en
}

// Message is the plain-language message of c in lang (en, fr, ar, uk;
// English for any other). Every code has one: a code this package does
// not list (a format code of internal/sdjwt) gets the "damaged" message.
func Message(c Code, lang string) string {
	m, ok := messages[c]
	if !ok {
		m = malformed
	}
	return pick(m, lang)
}

// Codes lists the codes that have a message of their own.
func Codes() []Code {
	out := make([]Code, 0, len(messages))
	for c := range messages {
		out = append(out, c)
	}
	return out
}

"""The demo catalogue in French: title and description of each seeded product, by GTIN.

devstack/seed.py sends them as the product's `fr` translation, so a French shopper reads French
and "bouteille" finds the bottle as "bottles" does.
"""

from __future__ import annotations

FRENCH: dict[str, tuple[str, str]] = {
    "7312601815901": ("Tente dôme Trailhead 2 places",
                      "Une tente autoportante trois saisons pour deux, montée en cinq minutes grâce aux arceaux "
                      "repérés par couleur."),
    "5003016613184": ("Sac à dos de randonnée Summit 35 L",
                      "Dos ventilé, housse de pluie rangée dans le rabat et poches de ceinture accessibles en "
                      "marchant."),
    "5900913909962": ("Sac de couchage en duvet -5 °C",
                      "Duvet 650 cuin d'origine responsable, coupe sarcophage, se compresse à la taille d'une "
                      "miche de pain."),
    "4003082462816": ("Réchaud de camping en titane",
                      "Fait bouillir un litre en trois minutes et demie et se replie dans sa pochette de 45 g."),
    "5014821993514": ("Bouteille isotherme en acier 750 ml",
                      "Garde les boissons froides 24 heures ou chaudes 12 heures ; bouchon lavable au lave-vaisselle."),
    "5001909378653": ("Lampe frontale LED 400 lumens",
                      "Rechargeable en USB-C, avec un mode nuit rouge et un verrouillage pour qu'elle ne "
                      "s'allume jamais dans le sac."),
    "8719754323199": ("Casque sans fil à réduction de bruit",
                      "Réduction de bruit adaptative, 40 heures d'autonomie et connexion simultanée à deux "
                      "appareils."),
    "7308757491182": ("Station d'accueil USB-C 11 en 1",
                      "Deux sorties HDMI, Ethernet gigabit, un lecteur SD et une charge de 100 W sur un seul câble."),
    "5902527601898": ("Clavier mécanique 75 % remplaçable à chaud",
                      "Boîtier en aluminium monté sur joints, interrupteurs remplaçables à chaud et molette "
                      "rotative."),
    "7315597971149": ("Écran 4K USB-C 27 pouces",
                      "Dalle IPS couvrant 98 % du DCI-P3, alimentation USB-C 90 W et pied réglable en hauteur."),
    "8711049746508": ("Enceinte Bluetooth portable",
                      "Étanche, elle flotte et joue 20 heures ; s'associe à une seconde enceinte pour la stéréo."),
    "8715291703425": ("Ampoules LED connectées E27, lot de 3",
                      "Du blanc chaud au blanc froid et 16 millions de couleurs, pilotées par appli ou à la voix, "
                      "sans pont."),
    "8403667127684": ("Batterie externe 20000 mAh 65 W",
                      "Recharge un ordinateur portable en USB-C PD et deux téléphones à la fois ; capacité "
                      "autorisée en avion."),
    "7302684656324": ("Bouilloire électrique 1,7 L",
                      "Acier brossé avec un sélecteur de température pour le thé vert, le café et le lait infantile."),
    "4012233079247": ("Poêle en fonte 28 cm",
                      "Fonte française pré-culottée qui passe de la plaque au four puis à la table."),
    "7300268599524": ("Couteau de chef 20 cm",
                      "Forgé en acier damassé 67 couches, manche en pakkawood."),
    "8408907866668": ("Set de café filtre pour méthode douce",
                      "Dripper en verre, carafe et cent filtres : tout pour une tasse nette et lumineuse."),
    "4017603137213": ("Assiettes plates en grès, lot de 4",
                      "Émail réactif, chaque assiette légèrement différente ; passent au lave-vaisselle et au "
                      "micro-ondes."),
    "7319010928154": ("Torchons en lin, lot de 3",
                      "Lin européen délavé qui essuie les verres sans peluches et s'adoucit à chaque lavage."),
    "5010139624591": ("Balance de cuisine numérique",
                      "Pèse au gramme près jusqu'à 5 kg, avec une touche tare et un mode liquides en millilitres."),
    "7317117777415": ("Lampe de table en lin",
                      "Pied en céramique et abat-jour en lin naturel ; une lumière chaude et diffuse pour un coin "
                      "lecture."),
    "3761547280382": ("Plaid en laine mérinos",
                      "Tissé en mérinos doux à chevrons, chaud sans être lourd."),
    "7312808414853": ("Étagère murale flottante en chêne 80 cm",
                      "Chêne massif avec fixation invisible ; supporte 20 kg de livres."),
    "3765388853934": ("Bougie parfumée figue et cèdre",
                      "Cire de soja coulée à la main dans un verre réutilisable, 50 heures de combustion."),
    "3776338750043": ("Serviette de bain en coton nid d'abeille",
                      "Coton biologique en nid d'abeille qui sèche vite et reste léger."),
    "8714395755132": ("Horloge murale silencieuse 30 cm",
                      "Un mouvement continu qui ne fait jamais tic-tac, derrière un cadran en contreplaqué de "
                      "bouleau."),
    "4013735379903": ("Sécateur à lames croisantes",
                      "Lames en acier trempé qui coupent net les branches jusqu'à 22 mm, verrouillage à une main."),
    "8715116372652": ("Arrosoir galvanisé 9 L",
                      "Un long bec et une pomme en laiton amovible pour les semis."),
    "4016761222021": ("Potager surélevé en cèdre 120 cm",
                      "Cèdre rouge non traité qui résiste à la pourriture ; s'assemble sans outils."),
    "5017299752881": ("Lampes solaires de jardin, lot de 8",
                      "Balises de chemin qui s'allument du crépuscule à l'aube et se rechargent seules ; sans "
                      "câblage."),
    "3760018263305": ("Tapis de yoga 6 mm en caoutchouc naturel",
                      "Caoutchouc naturel adhérent avec repères d'alignement et sangle de transport en coton."),
    "7303483954864": ("Haltères réglables 2 x 20 kg",
                      "Réglage de 2 à 20 kg en quelques secondes par molette ; remplace quinze paires d'haltères."),
    "3760579868285": ("Chaussures de trail",
                      "Crampons agressifs de 5 mm et plaque anti-cailloux pour les sentiers techniques."),
    "3768807290228": ("Corde à sauter de vitesse",
                      "Poignées à roulements à billes et câble en acier réglable pour les double-unders."),
    "3767918058888": ("Casque de vélo MIPS",
                      "Protection MIPS, 18 aérations et une boucle magnétique qui se ferme avec des gants."),
}


def french(gtin: str) -> dict:
    """The `translations` of a seeded product ({} when it has no French text)."""
    if gtin not in FRENCH:
        return {}
    title, description = FRENCH[gtin]
    return {"fr": {"title": title, "description": description}}

"""The French catalogue: ``{English template: French template}`` with the same named fields.

Keys are the exact English messages given to :func:`helpers.i18n.tr` (or flagged with
:func:`helpers.i18n.mark`), exercise titles and hints; ``tests/test_i18n.py`` lists any message
missing here and checks that each French template uses the same fields as its English key.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # --- exercise titles and hints (00)
    "Your environment":
        "Votre environnement",
    "`sys.version` starts with the Python version; `torch.__version__` is PyTorch's; `config.device()` is the device the course uses.":
        "`sys.version` commence par la version de Python ; `torch.__version__` est celle de PyTorch ; `config.device()` est le périphérique qu'utilise le cours.",
    "Build `{'python': sys.version.split()[0], 'torch': ..., 'device': str(...)}`.":
        "Construisez `{'python': sys.version.split()[0], 'torch': ..., 'device': str(...)}`.",
    # --- exercise titles and hints (01)
    "dJ/dw without a bias":
        "dJ/dw sans biais",
    "Write e_i = w x_i - y_i; J = mean(e_i²). By the chain rule de_i²/dw = 2 e_i · de_i/dw.":
        "Posez e_i = w x_i - y_i ; J = mean(e_i²). Par la dérivation en chaîne, de_i²/dw = 2 e_i · de_i/dw.",
    "de_i/dw = x_i, so dJ/dw = mean(2 (w x_i - y_i) x_i): one line with tensors.":
        "de_i/dw = x_i, donc dJ/dw = mean(2 (w x_i - y_i) x_i) : une ligne avec des tenseurs.",
    "The largest stable learning rate":
        "Le plus grand taux d'apprentissage stable",
    "Build the 2 × 2 matrix 2·[[mean(x²), mean(x)], [mean(x), 1]] with torch.tensor.":
        "Construisez la matrice 2 × 2 2·[[mean(x²), mean(x)], [mean(x), 1]] avec torch.tensor.",
    "torch.linalg.eigvalsh(matrix) returns its eigenvalues in increasing order; the limit is 2 / the largest.":
        "torch.linalg.eigvalsh(matrix) renvoie ses valeurs propres par ordre croissant ; la limite vaut 2 / la plus grande.",
    "Centring the input":
        "Centrer l'entrée",
    "The cost's minimum does not change when x is centred (b absorbs the shift), but the bowl's shape does.":
        "Le minimum de la fonction de coût ne change pas quand x est centré (b absorbe le décalage), mais la forme de la cuvette, si.",
    "Loop: compute the cost; stop when it is within 1e-3 of the least-squares cost; otherwise take one gradient step with the centred x and count it.":
        "Boucle : calculez le coût ; arrêtez-vous quand il est à moins de 1e-3 du coût des moindres carrés ; sinon faites un pas de gradient avec le x centré et comptez-le.",
    "Regression or classification?":
        "Régression ou classification ?",
    "Is the answer a number on a continuous scale, or one choice out of a fixed list?":
        "La réponse est-elle un nombre sur une échelle continue, ou un choix parmi une liste fixe ?",
    # --- exercise titles and hints (02)
    "Scale matters":
        "L'échelle compte",
    "scale = torch.tensor([1.0, 100.0]) multiplies column 2 by 100 when you write X * scale.":
        "scale = torch.tensor([1.0, 100.0]) multiplie la colonne 2 par 100 quand vous écrivez X * scale.",
    "votes = knn_votes(X_val * scale, 15, X_ref=X_train * scale, y_ref=y_train); compare votes.argmax(1) with y_val and take the mean of the matches as floats.":
        "votes = knn_votes(X_val * scale, 15, X_ref=X_train * scale, y_ref=y_train) ; comparez votes.argmax(1) avec y_val et prenez la moyenne des correspondances en flottants.",
    "Standardise with training statistics":
        "Standardiser avec les statistiques d'entraînement",
    "reference.mean(dim=0) gives one mean per column (feature); reference.std(dim=0) one standard deviation per column.":
        "reference.mean(dim=0) donne une moyenne par colonne (caractéristique) ; reference.std(dim=0) un écart-type par colonne.",
    "Subtract the reference's mean from `points` and divide by the reference's std: broadcasting does the rest.":
        "Soustrayez la moyenne de la référence à `points` et divisez par l'écart-type de la référence : le broadcasting fait le reste.",
    "The elbow as a number":
        "Le coude en un nombre",
    "drops[i] = inertias[i] - inertias[i + 1] is the gain from K = i + 1 to K = i + 2 clusters.":
        "drops[i] = inertias[i] - inertias[i + 1] est le gain en passant de K = i + 1 à K = i + 2 clusters.",
    "At K = i + 2 the ratio is drops[i] / drops[i + 1]; return the K of the largest ratio (mind the +2).":
        "À K = i + 2 le rapport vaut drops[i] / drops[i + 1] ; renvoyez le K du plus grand rapport (attention au +2).",
    "The k of LOF":
        "Le k de LOF",
    "scores, _ = local_outlier_factor(X_lof, k=3) recomputes every score with 3 neighbours.":
        "scores, _ = local_outlier_factor(X_lof, k=3) recalcule chaque score avec 3 voisins.",
    "top = scores.argsort(descending=True)[:6]; then is_planted[top].sum() counts the planted ones.":
        "top = scores.argsort(descending=True)[:6] ; puis is_planted[top].sum() compte les points plantés.",
    # --- exercise titles and hints (03)
    "The Bellman target":
        "La cible de Bellman",
    "Two cases: the move ended the episode (goal or trap), or it did not.":
        "Deux cas : le coup a terminé l'épisode (but ou piège), ou non.",
    "return reward if done else reward + gamma * next_q_row.max()":
        "return reward if done else reward + gamma * next_q_row.max()",
    "V*(S) with gamma = 0.9":
        "V*(S) avec gamma = 0.9",
    "The best policy still walks the 8-move shortest path: a smaller gamma only makes later rewards count less.":
        "La meilleure politique suit toujours le plus court chemin de 8 coups : un gamma plus petit ne fait que réduire le poids des récompenses lointaines.",
    "Seven step penalties discounted by gamma**0 ... gamma**6, then the goal's +1 discounted by gamma**7.":
        "Sept pénalités de pas actualisées par gamma**0 ... gamma**6, puis le +1 du but actualisé par gamma**7.",
    "Epsilon-greedy":
        "Epsilon-greedy",
    "rng.random() < epsilon decides whether to explore; rng.integers(4) is a random action.":
        "rng.random() < epsilon décide s'il faut explorer ; rng.integers(4) est une action au hasard.",
    "best = np.flatnonzero(q_row == q_row.max()) lists every best action; rng.choice(best) picks one.":
        "best = np.flatnonzero(q_row == q_row.max()) liste toutes les meilleures actions ; rng.choice(best) en choisit une.",
    # --- exercise titles and hints (04)
    "A sigmoid neuron by hand":
        "Un neurone sigmoïde à la main",
    "First z = w1·x1 + w2·x2 + b, then a = 1 / (1 + e^(-z)).":
        "D'abord z = w1·x1 + w2·x2 + b, puis a = 1 / (1 + e^(-z)).",
    "z = 0.5 - 0.5 + 0.2; torch.sigmoid(torch.tensor(z)) gives a.":
        "z = 0.5 - 0.5 + 0.2 ; torch.sigmoid(torch.tensor(z)) donne a.",
    "A softmax that does not overflow":
        "Un softmax qui ne déborde pas",
    "softmax(v) = exp(v) / sum(exp(v)); the sum runs over the last dimension, one sum per row.":
        "softmax(v) = exp(v) / sum(exp(v)) ; la somme porte sur la dernière dimension, une somme par ligne.",
    "Subtract logits.max(dim=-1, keepdim=True).values first: the largest logit becomes 0, so no exp overflows.":
        "Soustrayez d'abord logits.max(dim=-1, keepdim=True).values : le plus grand logit devient 0, donc aucune exponentielle ne déborde.",
    "A network that solves XOR":
        "Un réseau qui résout XOR",
    "Section 4 trains nn.Sequential(nn.Linear(2, 16), activation, nn.Linear(16, 1)) twice: which activation solved it?":
        "La section 4 entraîne deux fois nn.Sequential(nn.Linear(2, 16), activation, nn.Linear(16, 1)) : quelle activation l'a résolu ?",
    "return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))":
        "return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))",
    # --- exercise titles and hints (05)
    "A broadcast shape":
        "Une forme après broadcasting",
    "Write the shapes right-aligned: (5, 1, 4) and (_, 3, 1).":
        "Écrivez les formes alignées à droite : (5, 1, 4) et (_, 3, 1).",
    "Column by column: 4 vs 1, 1 vs 3, 5 vs nothing; a 1 or a missing size takes the other size.":
        "Colonne par colonne : 4 contre 1, 1 contre 3, 5 contre rien ; un 1 ou une taille absente prend l'autre taille.",
    "What nn.Linear computes":
        "Ce que calcule nn.Linear",
    "(N, in) @ (in, out) gives (N, out); the weight is stored as (out, in).":
        "(N, in) @ (in, out) donne (N, out) ; le poids est stocké sous la forme (out, in).",
    "return X @ weight.T + bias":
        "return X @ weight.T + bias",
    "Channel-last to channel-first":
        "Des canaux en dernier aux canaux en premier",
    "reshape gives any shape with the same number of elements, read in memory order: that mixes channels and pixels. You need to reorder dimensions.":
        "reshape donne n'importe quelle forme avec le même nombre d'éléments, lus dans l'ordre de la mémoire : cela mélange canaux et pixels. Il faut réordonner les dimensions.",
    "batch.permute(0, 3, 1, 2): dimension 0 (N) stays first, 3 (C) comes second, then 1 (H) and 2 (W).":
        "batch.permute(0, 3, 1, 2) : la dimension 0 (N) reste première, la 3 (C) vient en deuxième, puis la 1 (H) et la 2 (W).",
    "The smallest loss scale":
        "Le plus petit facteur d'échelle de la perte",
    "Try S = 1, 2, 4, 8, ... and look at torch.tensor(3e-9 * S).half().":
        "Essayez S = 1, 2, 4, 8, ... et regardez torch.tensor(3e-9 * S).half().",
    "A loop: while torch.tensor(3e-9 * S).half().item() == 0: S *= 2.":
        "Une boucle : while torch.tensor(3e-9 * S).half().item() == 0: S *= 2.",
    # --- exercise titles and hints (06)
    "A learning rate that converges in 10 epochs":
        "Un taux d'apprentissage qui converge en 10 époques",
    "Too small: the loss falls slowly; above lr_limit (section 3): it diverges. Try values between.":
        "Trop petit : la perte baisse lentement ; au-dessus de lr_limit (section 3) : elle diverge. Essayez des valeurs entre les deux.",
    "The fastest learning rates sit a little below the limit, not at it: try three quarters of lr_limit.":
        "Les taux d'apprentissage les plus rapides sont un peu en dessous de la limite, pas sur elle : essayez les trois quarts de lr_limit.",
    "One training step":
        "Une étape d'entraînement",
    "Section 4 lists the steps: model.train(), forward, loss, optimizer.zero_grad(), loss.backward(), optimizer.step().":
        "La section 4 liste les étapes : model.train(), passe avant, perte, optimizer.zero_grad(), loss.backward(), optimizer.step().",
    "Return loss.item(), the loss computed in the forward pass of this step.":
        "Renvoyez loss.item(), la perte calculée dans la passe avant de cette étape.",
    "Three sets":
        "Trois jeux",
    "Shuffle once, then cut: torch.randperm(n, generator=torch.Generator().manual_seed(seed)).":
        "Mélangez une fois, puis coupez : torch.randperm(n, generator=torch.Generator().manual_seed(seed)).",
    "n_train = int(fractions[0] * n), n_val = int(fractions[1] * n); the test set is the rest: order[n_train + n_val:].":
        "n_train = int(fractions[0] * n), n_val = int(fractions[1] * n) ; le jeu de test est le reste : order[n_train + n_val:].",
    # --- exercise titles and hints (07)
    "Binary cross-entropy from logits":
        "Entropie croisée binaire à partir des logits",
    "With p = σ(z): -log p = log(1 + e^(-z)) = softplus(-z), and -log(1 - p) = log(1 + e^z) = softplus(z).":
        "Avec p = σ(z) : -log p = log(1 + e^(-z)) = softplus(-z), et -log(1 - p) = log(1 + e^z) = softplus(z).",
    "return (targets * F.softplus(-logits) + (1 - targets) * F.softplus(logits)).mean()":
        "return (targets * F.softplus(-logits) + (1 - targets) * F.softplus(logits)).mean()",
    "One accuracy for both kinds of model":
        "Une seule exactitude pour les deux sortes de modèles",
    "Two cases: one column (or a 1-D tensor) of logits, or one column per class.":
        "Deux cas : une colonne (ou un tenseur 1-D) de logits, ou une colonne par classe.",
    "One logit: predicted = (logits.reshape(-1) > 0).float(); several: logits.argmax(dim=1). Then the mean of (predicted == targets) as floats.":
        "Un logit : predicted = (logits.reshape(-1) > 0).float() ; plusieurs : logits.argmax(dim=1). Puis la moyenne de (predicted == targets) en flottants.",
    "A feature that separates the rings":
        "Une caractéristique qui sépare les anneaux",
    "The rings differ in their distance from the centre, not in their direction.":
        "Les anneaux diffèrent par leur distance au centre, pas par leur direction.",
    "torch.cat([points, (points ** 2).sum(dim=1, keepdim=True)], dim=1) adds the squared radius.":
        "torch.cat([points, (points ** 2).sum(dim=1, keepdim=True)], dim=1) ajoute le rayon au carré.",
    "Pick an optimiser and a learning rate":
        "Choisir un optimiseur et un taux d'apprentissage",
    "Look at section 3's plot: which optimiser has the widest range of good learning rates, and where?":
        "Regardez le graphique de la section 3 : quel optimiseur a la plus large plage de bons taux d'apprentissage, et où ?",
    "return torch.optim.Adam(params, lr=0.01) (or SGD with momentum 0.9 and a learning rate near 0.1).":
        "return torch.optim.Adam(params, lr=0.01) (ou SGD avec un momentum de 0.9 et un taux d'apprentissage proche de 0.1).",
    # --- exercise titles and hints (08)
    "learnpytorch.io's TinyVGG, counted by hand":
        "Le TinyVGG de learnpytorch.io, compté à la main",
    "Four convolutions with `hidden` filters each: the first sees 1 channel, the others `hidden`.":
        "Quatre convolutions de `hidden` filtres chacune : la première voit 1 canal, les autres `hidden`.",
    "A 3x3 convolution c_in -> c_out has c_out x (c_in x 3 x 3 + 1) parameters; after two MaxPool(2) the classifier is Linear(hidden x 7 x 7, 10).":
        "Une convolution 3x3 c_in -> c_out a c_out x (c_in x 3 x 3 + 1) paramètres ; après deux MaxPool(2) le classifieur est Linear(hidden x 7 x 7, 10).",
    "The recall of Shirt":
        "Le rappel de Shirt",
    "Row i of the confusion matrix holds the images whose TRUE class is i.":
        "La ligne i de la matrice de confusion contient les images dont la VRAIE classe est i.",
    "recall = cm[s, s] / cm[s].sum() with s = CLASSES.index('Shirt'); `.item()` makes it a number.":
        "rappel = cm[s, s] / cm[s].sum() avec s = CLASSES.index('Shirt') ; `.item()` en fait un nombre.",
    "Make learnpytorch.io's TinyVGG learn in 50 steps":
        "Faire apprendre le TinyVGG de learnpytorch.io en 50 pas",
    "With SGD at lr 0.1 (learnpytorch.io's recipe) this model's loss stays near ln(10) = 2.30 for the first 50 steps: `ex.training_losses(lambda m: torch.optim.SGD(m.parameters(), lr=0.1))` shows it.":
        "Avec SGD à lr 0.1 (la recette de learnpytorch.io), la perte de ce modèle reste près de ln(10) = 2.30 pendant les 50 premiers pas : `ex.training_losses(lambda m: torch.optim.SGD(m.parameters(), lr=0.1))` le montre.",
    "torch.optim.Adam(model.parameters(), lr=...) divides each gradient by its running size; try a learning rate between 1e-3 and 1e-2.":
        "torch.optim.Adam(model.parameters(), lr=...) divise chaque gradient par sa taille moyenne récente ; essayez un taux d'apprentissage entre 1e-3 et 1e-2.",
    # --- exercise titles and hints (09a)
    "The output-size formula":
        "La formule de la taille de sortie",
    "W_out = floor((W - K + 2P) / S) + 1.":
        "W_out = floor((W - K + 2P) / S) + 1.",
    "In Python the floor of a division of integers is `//`: `(w - k + 2 * p) // s + 1`.":
        "En Python, la partie entière d'une division d'entiers s'écrit `//` : `(w - k + 2 * p) // s + 1`.",
    "Multiply-adds of a convolution":
        "Les multiplications-additions d'une convolution",
    "Every OUTPUT value is a dot product over a K_h x K_w window in (C_in / groups) channels.":
        "Chaque valeur de SORTIE est un produit scalaire sur une fenêtre K_h x K_w dans (C_in / groups) canaux.",
    "Output size with the formula of chapter 9a, section 2 (layer.kernel_size, layer.stride and layer.padding are pairs: (height, width)); then N x C_out x H_out x W_out x (C_in // layer.groups) x K_h x K_w.":
        "La taille de sortie par la formule du chapitre 9a, section 2 (layer.kernel_size, layer.stride et layer.padding sont des paires : (hauteur, largeur)) ; puis N x C_out x H_out x W_out x (C_in // layer.groups) x K_h x K_w.",
    'A convolution by hand, with stride and padding':
        'Une convolution à la main, avec pas et marge',
    '`torch.nn.functional.pad(image, (p, p, p, p))` adds p rows or columns of zeros on each side; then the output size is floor((W + 2P - K) / S) + 1 per side.':
        "`torch.nn.functional.pad(image, (p, p, p, p))` ajoute p lignes ou colonnes de zéros de chaque côté ; la taille de sortie est alors floor((W + 2P - K) / S) + 1 par côté.",
    "Output (i, j) is `(padded[i*s : i*s + K, j*s : j*s + K] * kernel).sum()`: section 1's loop, with the window moving by the stride.":
        "La sortie (i, j) vaut `(padded[i*s : i*s + K, j*s : j*s + K] * kernel).sum()` : la boucle de la section 1, avec une fenêtre qui avance du pas.",
    'The multiply-adds of a residual block, by hand':
        "Les multiplications-additions d'un bloc résiduel, à la main",
    "Three convolutions: the main path's two 3x3 and the shortcut's 1x1. All three give the block's output size, (side - 1) // stride + 1 per side (chapter 9a's formula with K = 3, P = 1).":
        "Trois convolutions : les deux 3x3 du chemin principal et la 1x1 du raccourci. Toutes trois donnent la taille de sortie du bloc, (side - 1) // stride + 1 par côté (la formule du chapitre 9a avec K = 3, P = 1).",
    'out^2 x cout x (cin x 9) + out^2 x cout x (cout x 9) + out^2 x cout x cin.':
        'out^2 x cout x (cin x 9) + out^2 x cout x (cout x 9) + out^2 x cout x cin.',
    "MaxPool with stride 1":
        "MaxPool avec un pas de 1",
    "With stride 1 the 2x2 window moves one pixel at a time, so the windows overlap: 3 positions per side.":
        "Avec un pas (stride) de 1, la fenêtre 2x2 avance d'un pixel à la fois, donc les fenêtres se chevauchent : 3 positions par côté.",
    "`nn.MaxPool2d(kernel_size=2, stride=1)(fig13[None, None])[0, 0]`: pooling wants (N, C, H, W).":
        "`nn.MaxPool2d(kernel_size=2, stride=1)(fig13[None, None])[0, 0]` : le pooling attend (N, C, H, W).",
    "The same ResNet_minimal, a quarter of the work":
        "Le même ResNet_minimal, pour un quart du travail",
    "Multiply-adds of a conv layer grow with the number of output pixels. What if every block worked on a 128 px map instead of a 256 px one?":
        "Les multiplications-additions d'une couche de convolution croissent avec le nombre de pixels de sortie. Et si chaque bloc travaillait sur une carte de 128 px au lieu de 256 px ?",
    "A stride-2 convolution halves the side and keeps its weights. `model.stem` is Conv2d -> BatchNorm -> ReLU.":
        "Une convolution de pas 2 divise le côté par deux et garde ses poids. `model.stem` est Conv2d -> BatchNorm -> ReLU.",
    "`model = models.ResNetMinimal(); model.stem[0] = nn.Conv2d(3, 32, 3, stride=2, padding=1)`.":
        "`model = models.ResNetMinimal(); model.stem[0] = nn.Conv2d(3, 32, 3, stride=2, padding=1)`.",
    # --- exercises 09c.q3 and 09d.q3
    'RMSprop by hand':
        'RMSprop à la main',
    "RMSprop is Adam's second half alone: a running mean s of the squared gradient, and a step divided by its square root. alpha = 0.99 and eps = 1e-8 are torch.optim.RMSprop's defaults.":
        "RMSprop, c'est la seconde moitié d'Adam seule : une moyenne glissante s du gradient au carré, et un pas divisé par sa racine carrée. alpha = 0.99 et eps = 1e-8 sont les valeurs par défaut de torch.optim.RMSprop.",
    's = ALPHA * s + (1 - ALPHA) * g**2; return p - lr * g / (s.sqrt() + EPS), s':
        's = ALPHA * s + (1 - ALPHA) * g**2 ; return p - lr * g / (s.sqrt() + EPS), s',
    'Nesterov momentum by hand':
        'Le momentum de Nesterov à la main',
    "Plain momentum steps by lr * v with v = mu * v + g. Nesterov's looks ahead: it steps by the gradient plus one more velocity, lr * (g + mu * v).":
        'Le momentum simple fait un pas de lr * v avec v = mu * v + g. Celui de Nesterov regarde devant : il fait un pas du gradient plus une vitesse de plus, lr * (g + mu * v).',
    'v = MOMENTUM * v + g; return p - lr * (g + MOMENTUM * v), v':
        'v = MOMENTUM * v + g ; return p - lr * (g + MOMENTUM * v), v',
    'A batch straight from the bytes':
        'Un lot tiré directement des octets',
    'Three steps: `images[index]` picks the images (B, 28, 28), `.unsqueeze(1)` adds the channel axis, and the bytes 0..255 become floats in [0, 1].':
        "Trois étapes : `images[index]` choisit les images (B, 28, 28), `.unsqueeze(1)` ajoute l'axe des canaux, et les octets 0..255 deviennent des flottants dans [0, 1].",
    'return images[index].unsqueeze(1).float() / 255':
        'return images[index].unsqueeze(1).float() / 255',
    'The most confused pair, by hand':
        'La paire la plus confondue, à la main',
    'A pair is confused in both directions: cm[i, j] (i called j) plus cm[j, i]. `cm + cm.T` adds them for every pair at once.':
        "Une paire se confond dans les deux sens : cm[i, j] (i appelé j) plus cm[j, i]. `cm + cm.T` les additionne pour toutes les paires d'un coup.",
    'Zero the diagonal (`.fill_diagonal_(0)`: those are right answers), then `divmod(int(m.argmax()), len(classes))` gives the row and the column of the largest cell.':
        'Mettez la diagonale à zéro (`.fill_diagonal_(0)` : ce sont les bonnes réponses), puis `divmod(int(m.argmax()), len(classes))` donne la ligne et la colonne de la plus grande case.',
    'The smoothed loss of the range test':
        'La perte lissée du test de plage',
    'Keep a running `average` that starts at 0; at each step it becomes beta * average + (1 - beta) * loss.':
        'Gardez une moyenne courante `average` qui part de 0 ; à chaque pas elle devient beta * average + (1 - beta) * loss.',
    'Its weights sum to 1 - beta**(t + 1) after t + 1 steps, not to 1: divide by that, as Adam does for its moments.':
        "Ses poids ont pour somme 1 - beta**(t + 1) après t + 1 pas, pas 1 : divisez par cette somme, comme Adam le fait pour ses moments.",
    'MixUp by hand':
        'MixUp à la main',
    '`torch.roll(images, 1, dims=0)` puts image i - 1 at position i (the first image meets the last).':
        "`torch.roll(images, 1, dims=0)` place l'image i - 1 en position i (la première image rencontre la dernière).",
    'Targets: `nn.functional.one_hot(labels, num_classes).float()`, then the same blend as the images, with the same roll.':
        'Cibles : `nn.functional.one_hot(labels, num_classes).float()`, puis le même mélange que les images, avec le même décalage.',
    'BatchNorm by hand':
        'La BatchNorm à la main',
    'One mean and one variance per channel, over the batch and the pixels: x.mean(dim=(0, 2, 3), keepdim=True), x.var(dim=(0, 2, 3), unbiased=False, keepdim=True).':
        'Une moyenne et une variance par canal, sur le lot et les pixels : x.mean(dim=(0, 2, 3), keepdim=True), x.var(dim=(0, 2, 3), unbiased=False, keepdim=True).',
    'x_hat = (x - mean) / sqrt(var + eps); return gamma.view(1, -1, 1, 1) * x_hat + beta.view(1, -1, 1, 1).':
        'x_hat = (x - mean) / sqrt(var + eps) ; renvoyez gamma.view(1, -1, 1, 1) * x_hat + beta.view(1, -1, 1, 1).',
    'Draw every class equally often':
        'Tirer chaque classe aussi souvent',
    'torch.bincount(labels) counts the images of each class; counts[labels] gives, for every image, the size of its own class.':
        'torch.bincount(labels) compte les images de chaque classe ; counts[labels] donne, pour chaque image, la taille de sa propre classe.',
    "weights = 1.0 / counts[labels].double(): each class's weights then add up to 1, the same for every class.":
        'weights = 1.0 / counts[labels].double() : les poids de chaque classe font alors 1 au total, le même pour toutes les classes.',
    'The statistics that normalisation uses':
        "Les statistiques qu'utilise la normalisation",
    'x = images.double() / 255 puts the pixels on the 0-1 scale; dim=(0, 2, 3) reduces over the images (0), the rows (2) and the columns (3), leaving one value per channel (1).':
        "x = images.double() / 255 met les pixels sur l'échelle 0-1 ; dim=(0, 2, 3) réduit sur les images (0), les lignes (2) et les colonnes (3), et laisse une valeur par canal (1).",
    'return x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3))':
        'return x.mean(dim=(0, 2, 3)), x.std(dim=(0, 2, 3))',
    'Leaf-grouped folds by hand':
        'Des plis groupés par feuille, à la main',
    "collections.Counter(groups) gives each group's number of photos; give every GROUP a fold, then read each photo's fold from its group.":
        'collections.Counter(groups) donne le nombre de photos de chaque groupe ; attribuez un pli à chaque GROUPE, puis lisez le pli de chaque photo dans celui de son groupe.',
    'Keep a list of photos per fold, load = [0] * k; for the groups from the largest down, fold = load.index(min(load)), then load[fold] += size.':
        'Tenez le compte des photos par pli, load = [0] * k ; pour les groupes du plus grand au plus petit, fold = load.index(min(load)), puis load[fold] += size.',
    'return a pair (mixed images, soft targets), got {got}':
        'renvoyez une paire (images mélangées, cibles souples), reçu {got}',
    'with lam = {lam}':
        'avec lam = {lam}',
    '{where} the targets should be a float tensor of shape (5, 4): one row per image, one column per class (nn.functional.one_hot, then the blend)':
        '{where} les cibles doivent être un tenseur flottant de forme (5, 4) : une ligne par image, une colonne par classe (nn.functional.one_hot, puis le mélange)',
    ' lam weighs the image itself, 1 - lam its partner.':
        " lam pondère l'image elle-même, 1 - lam sa partenaire.",
    ' The partner of image i is image i - 1: torch.roll(images, 1, dims=0).':
        " La partenaire de l'image i est l'image i - 1 : torch.roll(images, 1, dims=0).",
    '{where} the mixed images differ from lam * x_i + (1 - lam) * x_(i-1).{hint}':
        '{where} les images mélangées diffèrent de lam * x_i + (1 - lam) * x_(i-1).{hint}',
    ' The labels must be blended like the images: a mixed image is lam of one class and 1 - lam of another.':
        " Les étiquettes doivent être mélangées comme les images : une image mélangée vaut lam d'une classe et 1 - lam d'une autre.",
    '{where} the soft targets differ from the same blend of the one-hot labels.{hint}':
        '{where} les cibles souples diffèrent du même mélange des étiquettes one-hot.{hint}',
    "each soft target sums to 1 ({sums}): a mixed image is 70% of one class and 30% of the class of its partner, so a model cannot learn one image's label by heart. helpers.mixing.mixup does the same with lam drawn from Beta(alpha, alpha) for each batch.":
        "chaque cible souple a pour somme 1 ({sums}) : une image mélangée vaut 70% d'une classe et 30% de la classe de sa partenaire, si bien qu'un modèle ne peut pas apprendre par cœur l'étiquette d'une image. helpers.mixing.mixup fait de même avec lam tiré de Beta(alpha, alpha) à chaque lot.",
    ' BatchNorm divides by the biased variance (mean of the squared deviations, over n values): x.var(..., unbiased=False).':
        ' La BatchNorm divise par la variance biaisée (moyenne des carrés des écarts, sur n valeurs) : x.var(..., unbiased=False).',
    " Those are statistics per image; BatchNorm's are per channel over the whole batch: dims (0, 2, 3).":
        ' Ce sont des statistiques par image ; celles de la BatchNorm sont par canal sur tout le lot : dims (0, 2, 3).',
    "batch_norm should return a tensor of the input's shape {shape}, got {got}":
        "batch_norm doit renvoyer un tenseur de la forme de l'entrée {shape}, reçu {got}",
    ' Per channel: mean and variance over the batch and the pixels, dims (0, 2, 3); then gamma * x_hat + beta with gamma and beta shaped (1, C, 1, 1).':
        ' Par canal : moyenne et variance sur le lot et les pixels, dims (0, 2, 3) ; puis gamma * x_hat + beta avec gamma et beta de forme (1, C, 1, 1).',
    "batch_norm differs from torch's BatchNorm in train mode on an input of shape {shape}.{hint}":
        'batch_norm diffère de la BatchNorm de torch en mode entraînement sur une entrée de forme {shape}.{hint}',
    'the same as nn.BatchNorm2d in train mode: channel means {means} become 0 and their standard deviations {stds} become 1; gamma and beta then set the scale and shift the layer learns.':
        "comme nn.BatchNorm2d en mode entraînement : les moyennes des canaux {means} deviennent 0 et leurs écarts-types {stds} deviennent 1 ; gamma et beta fixent ensuite l'échelle et le décalage que la couche apprend.",
    # --- exercise titles and hints (09c)
    "Dropout by hand":
        "Dropout à la main",
    "`torch.rand_like(x) >= p` is True with probability 1 - p: the values to keep.":
        "`torch.rand_like(x) >= p` vaut True avec une probabilité 1 - p : les valeurs à garder.",
    "Multiply x by that mask and divide by (1 - p); handle p = 1 separately (everything dropped).":
        "Multipliez x par ce masque et divisez par (1 - p) ; traitez p = 1 à part (tout est supprimé).",
    "When does early stopping stop?":
        "Quand l'arrêt précoce s'arrête-t-il ?",
    "Walk through the losses keeping the best loss so far and how many epochs in a row did not beat it.":
        "Parcourez les pertes en gardant la meilleure perte jusque-là et le nombre d'époques d'affilée qui ne l'ont pas battue.",
    "A strictly lower loss resets the counter and becomes the best epoch; otherwise the counter grows, and when it reaches `patience` training stops at this epoch. Epochs count from 1.":
        "Une perte strictement plus basse remet le compteur à zéro et devient la meilleure époque ; sinon le compteur augmente, et quand il atteint `patience` l'entraînement s'arrête à cette époque. Les époques se comptent à partir de 1.",
    "Gradient clipping by hand":
        "L'écrêtage du gradient à la main",
    "The norm is GLOBAL: the square root of the sum of the squares of every value of every tensor.":
        "La norme est GLOBALE : la racine carrée de la somme des carrés de toutes les valeurs de tous les tenseurs.",
    "If that norm is above max_norm, multiply every tensor by max_norm / norm; otherwise return them unchanged.":
        "Si cette norme dépasse max_norm, multipliez chaque tenseur par max_norm / norme ; sinon renvoyez-les inchangés.",
    "BatchNorm against the vanishing gradient":
        "BatchNorm contre l'évanouissement du gradient",
    "Subclass DeepConvNet (section 4): keep its layers, add `self.norms = nn.ModuleList(...)` with one nn.BatchNorm2d(16) per hidden convolution.":
        "Sous-classez DeepConvNet (section 4) : gardez ses couches, ajoutez `self.norms = nn.ModuleList(...)` avec un nn.BatchNorm2d(16) par convolution cachée.",
    "In forward: `for conv, norm in zip(self.layers, self.norms): x = self.act(norm(conv(x)))`.":
        "Dans forward : `for conv, norm in zip(self.layers, self.norms): x = self.act(norm(conv(x)))`.",
    # --- exercise titles and hints (10)
    "The majority baseline on the test part":
        "La référence de la classe majoritaire sur la partie test",
    "Turn file names into labels: split['classes'].index(f.split('/')[0]) for each file.":
        "Transformez les noms de fichiers en étiquettes : split['classes'].index(f.split('/')[0]) pour chaque fichier.",
    "majority = np.bincount(train_labels).argmax() on the TRAINING labels; the answer is (test_labels == majority).mean().":
        "majority = np.bincount(train_labels).argmax() sur les étiquettes d'ENTRAÎNEMENT ; la réponse est (test_labels == majority).mean().",
    "An average hash for near-duplicates":
        "Un hachage moyen pour les quasi-doublons",
    "image.convert('L').resize((8, 8)) is the grey 8 x 8 thumbnail; np.asarray(..., dtype=np.float32) gives its 64 values.":
        "image.convert('L').resize((8, 8)) est la vignette grise 8 x 8 ; np.asarray(..., dtype=np.float32) donne ses 64 valeurs.",
    "Return (small > small.mean()).ravel(): 64 booleans, True where a pixel is brighter than the mean.":
        "Renvoyez (small > small.mean()).ravel() : 64 booléens, True là où un pixel est plus clair que la moyenne.",
    "Blank the corners the background classifier reads":
        "Masquer les coins que lit le classifieur de fond",
    "images[:, :, :size, :size] is the top-left size x size square of every image and every channel; images[:, :, -size:, -size:] the bottom-right one.":
        "images[:, :, :size, :size] est le carré size x size en haut à gauche de chaque image et de chaque canal ; images[:, :, -size:, -size:] celui en bas à droite.",
    "out = images.clone(); set the four squares (rows :size or -size:, columns :size or -size:) to 127; return out.":
        "out = images.clone() ; mettez les quatre carrés (lignes :size ou -size:, colonnes :size ou -size:) à 127 ; renvoyez out.",
    # --- exercise titles and hints (11)
    "SimpleCNN at another image size":
        "SimpleCNN à une autre taille d'image",
    "Only the first Linear layer depends on the image size: its inputs are 512 channels times the positions left after five MaxPool(2) layers, (image_size / 32) squared.":
        "Seule la première couche Linear dépend de la taille de l'image : ses entrées sont 512 canaux fois les positions qui restent après cinq couches MaxPool(2), (image_size / 32) au carré.",
    "A 3x3 Conv2d from cin to cout channels holds cin * cout * 9 weights and cout biases; a Linear layer from n to m holds n * m weights and m biases. Sum the five convolutions and the two Linear layers (512 -> 38 at the end).":
        "Une Conv2d 3x3 de cin vers cout canaux contient cin * cout * 9 poids et cout biais ; une couche Linear de n vers m contient n * m poids et m biais. Additionnez les cinq convolutions et les deux couches Linear (512 -> 38 à la fin).",
    "Balanced accuracy by hand":
        "La précision équilibrée à la main",
    "For each class c present in y_true, its recall is the share of the images of class c (y_true == c) that were predicted c.":
        "Pour chaque classe c présente dans y_true, son rappel est la part des images de la classe c (y_true == c) prédites c.",
    "np.unique(y_true) lists the classes present; average their recalls with np.mean.":
        "np.unique(y_true) liste les classes présentes ; faites la moyenne de leurs rappels avec np.mean.",
    "The share of dead units":
        "La part d'unités mortes",
    "Rows are images, columns are units. (hidden <= 0) marks the zeros.":
        "Les lignes sont les images, les colonnes les unités. (hidden <= 0) marque les zéros.",
    "(hidden <= 0).all(dim=0) is True for the units that are zero for every image; take the mean as floats.":
        "(hidden <= 0).all(dim=0) vaut True pour les unités nulles sur toutes les images ; prenez la moyenne en flottants.",
    "Kaiming's initialisation, measured":
        "L'initialisation de Kaiming, mesurée",
    "Loop over model.modules(); for every nn.Conv2d or nn.Linear call nn.init.kaiming_normal_(layer.weight, nonlinearity='relu') and nn.init.zeros_(layer.bias).":
        "Parcourez model.modules() ; pour chaque nn.Conv2d ou nn.Linear appelez nn.init.kaiming_normal_(layer.weight, nonlinearity='relu') et nn.init.zeros_(layer.bias).",
    "Then the last Linear layer: nn.init.normal_(its weight, std=0.01), so the first logits are small (build_simple_cnn(init='kaiming') in section 1 does all of this).":
        "Puis la dernière couche Linear : nn.init.normal_(son poids, std=0.01), pour que les premiers logits soient petits (build_simple_cnn(init='kaiming') en section 1 fait tout cela).",
    # --- exercise titles and hints (12)
    "The image sizes DeepCNN accepts":
        "Les tailles d'image qu'accepte DeepCNN",
    "The 3x3 convolutions with padding 1 keep the size; each MaxPool2d(2) maps a side s to s // 2 (rounded down). After 8 of them, what must the side be for Linear(512, 1024)?":
        "Les convolutions 3x3 avec un padding de 1 gardent la taille ; chaque MaxPool2d(2) envoie un côté s sur s // 2 (arrondi vers le bas). Après 8 d'entre eux, quel doit être le côté pour Linear(512, 1024) ?",
    "The side after 8 pools is s // 256. Try it: `with torch.device('meta'): models.DeepCNN()(torch.empty(1, 3, s, s))` runs instantly and raises when s does not fit.":
        "Le côté après 8 poolings est s // 256. Essayez : `with torch.device('meta'): models.DeepCNN()(torch.empty(1, 3, s, s))` s'exécute instantanément et lève une erreur quand s ne convient pas.",
    "The first layer's share of the gradient":
        "La part du gradient de la première couche",
    "model.zero_grad(), then cross_entropy(model(images), labels).backward() fills every .grad.":
        "model.zero_grad(), puis cross_entropy(model(images), labels).backward() remplit chaque .grad.",
    "layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]; divide layers[0].weight.grad.norm() by layers[-1].weight.grad.norm().":
        "layers = [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)] ; divisez layers[0].weight.grad.norm() par layers[-1].weight.grad.norm().",
    "BatchNorm back in":
        "Le retour de BatchNorm",
    "Walk the network like `without_batchnorm` in section 3: model.named_children(), recursing into containers.":
        "Parcourez le réseau comme `without_batchnorm` en section 3 : model.named_children(), récursivement dans les conteneurs.",
    "Replace each nn.Conv2d child by nn.Sequential(child, nn.BatchNorm2d(child.out_channels)) with setattr(parent, name, ...).":
        "Remplacez chaque enfant nn.Conv2d par nn.Sequential(child, nn.BatchNorm2d(child.out_channels)) avec setattr(parent, name, ...).",
    # --- exercise titles and hints (13)
    "What the shortcuts cost":
        "Ce que coûtent les raccourcis",
    "models.SmallResNet().blocks holds the four ResidualBlocks and the MaxPools; each ResidualBlock has a `.shortcut` (Conv 1x1 and BatchNorm2d).":
        "models.SmallResNet().blocks contient les quatre ResidualBlock et les MaxPool ; chaque ResidualBlock a un `.shortcut` (Conv 1x1 et BatchNorm2d).",
    "Sum models.count_parameters(block.shortcut) over the blocks that are ResidualBlocks, then divide by models.count_parameters(model).":
        "Additionnez models.count_parameters(block.shortcut) sur les blocs qui sont des ResidualBlock, puis divisez par models.count_parameters(model).",
    "A random horizontal flip":
        "Un retournement horizontal aléatoire",
    "torch.rand(len(images)) < 0.5 gives one True/False coin per image; images.flip(-1) mirrors every image left-right (the width is the last dimension).":
        "torch.rand(len(images)) < 0.5 donne un tirage True/False par image ; images.flip(-1) retourne chaque image de gauche à droite (la largeur est la dernière dimension).",
    "torch.where(coins[:, None, None, None], images.flip(-1), images) picks, image by image, the mirror or the original.":
        "torch.where(coins[:, None, None, None], images.flip(-1), images) choisit, image par image, le miroir ou l'original.",
    "The shortcut and the stem's gradient":
        "Le raccourci et le gradient du stem",
    "In __init__ keep `main`, and build the shortcut: nn.Identity() when cin == cout and stride == 1, otherwise nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), nn.BatchNorm2d(cout)).":
        "Dans __init__ gardez `main`, et construisez le raccourci : nn.Identity() quand cin == cout et stride == 1, sinon nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride), nn.BatchNorm2d(cout)).",
    "forward: return torch.relu(self.main(x) + self.shortcut(x)) (the ReLU after the addition).":
        "forward : return torch.relu(self.main(x) + self.shortcut(x)) (la ReLU après l'addition).",
    # --- exercise titles and hints (14)
    "What each network's last block sees":
        "Ce que voit le dernier bloc de chaque réseau",
    "Chapter 12's rule: start with size 1 and jump 1; each layer adds (kernel - 1) x jump to the size, then multiplies the jump by its stride.":
        "La règle du chapitre 12 : partez d'une taille 1 et d'un saut 1 ; chaque couche ajoute (kernel - 1) x saut à la taille, puis multiplie le saut par son pas.",
    "A MaxPool2d(2) is the pair (2, 2); a stride-2 3 x 3 convolution is (3, 2).":
        "Un MaxPool2d(2) est la paire (2, 2) ; une convolution 3 x 3 de pas 2 est (3, 2).",
    "How often each position is read":
        "Combien de fois chaque position est lue",
    "Output window i (along one axis) reads the input rows i * stride - padding up to i * stride - padding + kernel - 1; rows below 0 or above size - 1 are padding.":
        "La fenêtre de sortie i (le long d'un axe) lit les lignes d'entrée de i * stride - padding à i * stride - padding + kernel - 1 ; les lignes sous 0 ou au-delà de size - 1 sont du rembourrage (padding).",
    "Count, for each input row, how many output rows read it (a vector of length size); the 2-D coverage is that vector times itself as a column (an outer product).":
        "Comptez, pour chaque ligne d'entrée, combien de lignes de sortie la lisent (un vecteur de longueur size) ; la couverture en 2-D est ce vecteur multiplié par lui-même en colonne (un produit extérieur).",
    "SmallResNet with stride 2":
        "SmallResNet avec un pas de 2",
    "Start from models.SmallResNet() and replace its `blocks`: in SmallResNet three ResidualBlocks are each followed by a MaxPool2d(2); block 4 is not.":
        "Partez de models.SmallResNet() et remplacez ses `blocks` : dans SmallResNet, trois ResidualBlock sont chacun suivis d'un MaxPool2d(2) ; le bloc 4 ne l'est pas.",
    "net.blocks = nn.Sequential(ResidualBlock(32, 64, stride=2), ResidualBlock(64, 128, stride=2), ResidualBlock(128, 256, stride=2), ResidualBlock(256, 512)).":
        "net.blocks = nn.Sequential(ResidualBlock(32, 64, stride=2), ResidualBlock(64, 128, stride=2), ResidualBlock(128, 256, stride=2), ResidualBlock(256, 512)).",
    # --- exercise titles and hints (15)
    "Top-k accuracy":
        "L'exactitude top-k",
    "probs.topk(k, dim=1).indices is an (N, k) tensor: the k most probable classes of each row.":
        "probs.topk(k, dim=1).indices est un tenseur (N, k) : les k classes les plus probables de chaque ligne.",
    "Compare it with y_true[:, None] (broadcasting), .any(dim=1) says whether the true class is among them; then the mean as floats.":
        "Comparez-le avec y_true[:, None] (broadcasting), .any(dim=1) dit si la vraie classe est parmi elles ; puis la moyenne en flottants.",
    "Label smoothing by hand":
        "Le lissage des étiquettes à la main",
    "Build the target distribution: smoothing / K on every class, plus 1 - smoothing on the true class; the loss is -(target x log-probabilities) summed over classes, averaged over the batch.":
        "Construisez la distribution cible : smoothing / K sur chaque classe, plus 1 - smoothing sur la vraie classe ; la perte est -(cible x log-probabilités) sommée sur les classes, moyennée sur le lot (batch).",
    "log_p = logits.log_softmax(dim=1) (stable for large logits); wanted = torch.full_like(log_p, smoothing / K); wanted[torch.arange(N), targets] += 1 - smoothing.":
        "log_p = logits.log_softmax(dim=1) (stable pour de grands logits) ; wanted = torch.full_like(log_p, smoothing / K) ; wanted[torch.arange(N), targets] += 1 - smoothing.",
    # --- exercise titles and hints (16)
    "Test-time augmentation, four views":
        "Augmentation au moment du test, quatre vues",
    "model.eval(); the four views are images, images.flip(-1), images.flip(-2) and images.flip(-1, -2) (dims -1 and -2 are the width and the height).":
        "model.eval() ; les quatre vues sont images, images.flip(-1), images.flip(-2) et images.flip(-1, -2) (les dimensions -1 et -2 sont la largeur et la hauteur).",
    "torch.stack([model(view).softmax(dim=1) for view in views]).mean(dim=0), under torch.no_grad().":
        "torch.stack([model(view).softmax(dim=1) for view in views]).mean(dim=0), sous torch.no_grad().",
    "Choose on validation, report the test once":
        "Choisir sur la validation, rapporter le test une fois",
    "table['val_acc'].idxmax() is the index (model name) of the largest validation accuracy; it skips missing values (NaN).":
        "table['val_acc'].idxmax() est l'index (le nom du modèle) de la plus grande exactitude de validation ; il ignore les valeurs manquantes (NaN).",
    "Return that name and table.loc[name, 'test_acc'].":
        "Renvoyez ce nom et table.loc[name, 'test_acc'].",
    # --- helpers/data/datasets.py
    "file of unknown class {error} (classes: {classes})":
        "fichier d'une classe inconnue {error} (classes : {classes})",
    "No readable image found near {value}: {bad_files} bad files so far; check the data folder":
        "Aucune image lisible trouvée près de {value} : {bad_files} fichiers illisibles jusqu'ici ; vérifiez le dossier des données",
    # --- helpers/data/download.py
    "Downloading {KAGGLE_DATASET} with kagglehub (credentials: {credentials}); an interrupted download resumes when you run this again.":
        "Téléchargement de {KAGGLE_DATASET} avec kagglehub (identifiants : {credentials}) ; un téléchargement interrompu reprend quand vous relancez cette commande.",
    "Downloading {hf_HF_DATASET} ({variant}) from Hugging Face, no account needed; an interrupted download or conversion continues when you run this again.":
        "Téléchargement de {hf_HF_DATASET} ({variant}) depuis Hugging Face, sans compte ; un téléchargement ou une conversion interrompus reprennent quand vous relancez cette commande.",
    "the Hugging Face snapshot in {snapshot} holds no '{variant}' images (has the repository {hf_HF_URL} changed its layout?)":
        "l'instantané Hugging Face dans {snapshot} ne contient aucune image '{variant}' (le dépôt {hf_HF_URL} a-t-il changé d'organisation ?)",
    "no Kaggle API token (~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY)":
        "pas de jeton d'API Kaggle (~/.kaggle/kaggle.json ou KAGGLE_USERNAME/KAGGLE_KEY)",
    "The download in {downloaded} has no '{variant}' class folders; remove it and run again with --force.":
        "Le téléchargement dans {downloaded} n'a pas de dossiers de classes '{variant}' ; supprimez-le et relancez avec --force.",
    "Removing {leftover}: the Hugging Face download that failed earlier is not needed now.":
        "Suppression de {leftover} : le téléchargement Hugging Face qui a échoué plus tôt n'est plus utile.",
    "PlantVillage ready: {value}":
        "PlantVillage prêt : {value}",
    "the kagglehub package is not installed":
        "le paquet kagglehub n'est pas installé",
    "kagglehub failed: {type_error_name}: {error}":
        "échec de kagglehub : {type_error_name} : {error}",
    "Nothing to download.":
        "Rien à télécharger.",
    "The data looks incomplete: run again (downloads and conversions resume; with Kaggle, --force starts over); delete any files listed as unreadable first.":
        "Les données semblent incomplètes : relancez (téléchargements et conversions reprennent ; avec Kaggle, --force repart de zéro) ; supprimez d'abord les fichiers signalés comme illisibles.",
    "To use it (everyone in a class can share it, read-only): export {config_DATA_VARIABLE}={args_data_root_resolve}":
        "Pour l'utiliser (toute une classe peut le partager, en lecture seule) : export {config_DATA_VARIABLE}={args_data_root_resolve}",
    "{target} already holds files that are not a complete PlantVillage; move it away and run again (nothing was changed)":
        "{target} contient déjà des fichiers qui ne forment pas un PlantVillage complet ; déplacez-le et relancez (rien n'a été modifié)",
    "Could not link {target} -> {source} ({error}); copying instead (~2 GB)":
        "Impossible de lier {target} -> {source} ({error}) ; copie à la place (~2 Go)",
    "{error}; trying Kaggle next.":
        "{error} ; essai de Kaggle ensuite.",
    # --- helpers/data/fashion.py
    "FashionMNIST not found. The course looked in {raw_folder_root} (torchvision layout) and {DEBIAN_FASHION_DIR} (Debian package), and could not download it. Get it one of three ways:\n  1. Debian/Ubuntu, offline-friendly: sudo apt-get install dataset-fashion-mnist\n  2. Copy the four IDX files (train-images-idx3-ubyte, ...) into {raw_folder_root}\n  3. With internet: python -m helpers.data fashion-mnist (torchvision downloads it)\nFor a tiny offline stand-in set COURSE_MODE=smoke.":
        "FashionMNIST introuvable. Le cours a cherché dans {raw_folder_root} (organisation torchvision) et {DEBIAN_FASHION_DIR} (paquet Debian), et n'a pas pu le télécharger. Trois façons de l'obtenir :\n  1. Debian/Ubuntu, utilisable hors ligne : sudo apt-get install dataset-fashion-mnist\n  2. Copiez les quatre fichiers IDX (train-images-idx3-ubyte, ...) dans {raw_folder_root}\n  3. Avec Internet : python -m helpers.data fashion-mnist (torchvision le télécharge)\nPour un petit jeu de remplacement hors ligne : COURSE_MODE=smoke.",
    "{path} is not an unsigned-byte IDX file":
        "{path} n'est pas un fichier IDX d'octets non signés",
    "FashionTensors wants uint8 images (N, C, H, W) and one target per image, got {images_dtype} {tuple_images_shape} and {len_targets} targets":
        "FashionTensors attend des images uint8 (N, C, H, W) et une cible par image, reçu {images_dtype} {tuple_images_shape} et {len_targets} cibles",
    "batch_size must be at least 1, got {batch_size}":
        "batch_size doit valoir au moins 1, reçu {batch_size}",
    "{source} has no {name}(.gz)":
        "{source} n'a pas de {name}(.gz)",
    # --- helpers/data/locate.py
    "Get it with `pip install -e \".[download]\"` and `python -m helpers.data download plantvillage` (Hugging Face's public copy mohanty/PlantVillage, no account needed; Kaggle second), or unpack the Hugging Face data.zip or the Kaggle archive https://www.kaggle.com/datasets/abdallahhalidev/plantvillage-dataset into data/plantvillage (README, section Data). Without it the notebooks use ../shared/data/plantvillage-mini or the generated tiny set.":
        "Obtenez-le avec `pip install -e \".[download]\"` et `python -m helpers.data download plantvillage` (la copie publique mohanty/PlantVillage sur Hugging Face, sans compte ; Kaggle en second), ou décompressez le data.zip de Hugging Face ou l'archive Kaggle https://www.kaggle.com/datasets/abdallahhalidev/plantvillage-dataset dans data/plantvillage (README, section Data). Sans lui, les notebooks utilisent ../shared/data/plantvillage-mini ou le petit jeu généré.",
    "{len_files:,} images in {len_classes} classes, not the full set's {EXPECTED_IMAGES:,}":
        "{len_files:,} images dans {len_classes} classes, et non les {EXPECTED_IMAGES:,} du jeu complet",
    "{what}\nTo get the full set into {default_root}: `{command}` (after `pip install -e \".[download]\"`; no account needed; README, section Data), then run the chapter again.":
        "{what}\nPour obtenir le jeu complet dans {default_root} : `{command}` (après `pip install -e \".[download]\"` ; aucun compte nécessaire ; README, section Data), puis relancez le chapitre.",
    "no class folder {class_name!r} in {folder}":
        "aucun dossier de classe {class_name!r} dans {folder}",
    "no image in {folder}":
        "aucune image dans {folder}",
    "{folder} has no class folders and no images":
        "{folder} n'a ni dossiers de classes ni images",
    "{folder} holds only data-set variant folders ({names}), not class folders":
        "{folder} ne contient que des dossiers de variantes du jeu de données ({names}), pas de dossiers de classes",
    "{folder} has {len_subs} subfolders ({names}) but zero images directly in them (image types read: {value}); if the class folders are one level deeper, pass that folder":
        "{folder} a {len_subs} sous-dossiers ({names}) mais aucune image directement dedans (types d'images lus : {value}) ; si les dossiers de classes sont un niveau plus bas, donnez ce dossier-là",
    "PlantVillage not found: {root} does not exist.\nLooked in:\n{looked}\n{how_to_get}":
        "PlantVillage introuvable : {root} n'existe pas.\nDossiers examinés :\n{looked}\n{how_to_get}",
    "Data: the full PlantVillage set ({folder}). Accuracies can be set against the report's, which were measured on this set.":
        "Données : le jeu PlantVillage complet ({folder}). Les exactitudes peuvent être comparées à celles du rapport, qui ont été mesurées sur ce jeu.",
    "Data: the course team's mini set of real photos ({folder}; {size}). The chapter's checks are set for this set: they show the mechanics, not the report's accuracies.":
        "Données : le mini-jeu de vraies photos de l'équipe du cours ({folder} ; {size}). Les vérifications du chapitre sont réglées pour ce jeu : elles montrent le mécanisme, pas les exactitudes du rapport.",
    "Data: the generated tiny set of drawn leaves ({folder}; {size}). It runs the chapter's code path; nothing it measures says anything about PlantVillage, so the checks on what the model learns are skipped.":
        "Données : le petit jeu généré de feuilles dessinées ({folder} ; {size}). Il exécute le code du chapitre ; rien de ce qu'il mesure ne dit quoi que ce soit sur PlantVillage, donc les vérifications de ce que le modèle apprend sont sautées.",
    "{folder} holds {loose} images directly but no class folders: put each class's images in a subfolder named after the class (e.g. Tomato___healthy/)":
        "{folder} contient {loose} images directement mais aucun dossier de classe : mettez les images de chaque classe dans un sous-dossier portant le nom de la classe (par ex. Tomato___healthy/)",
    "variant must be one of {variants}, not {variant!r}":
        "variant doit être l'une de {variants}, pas {variant!r}",
    " (variants present: {others}; pass variant=...)":
        " (variantes présentes : {others} ; passez variant=...)",
    "PlantVillage ({variant}) found no class folders of images under {root}{hint}.\nLooked in:\n{looked}\nWhat was there:\n{problems}\nExpected <folder>/<class name>/<image>.jpg, e.g. {example}/<image>.jpg.\n{how_to_get}":
        "PlantVillage ({variant}) : aucun dossier de classes d'images trouvé sous {root}{hint}.\nDossiers examinés :\n{looked}\nCe qui s'y trouvait :\n{problems}\nAttendu : <dossier>/<nom de classe>/<image>.jpg, par ex. {example}/<image>.jpg.\n{how_to_get}",
    "data kind must be one of {kinds}, not {kind!r}":
        "le type de données doit être l'un de {kinds}, pas {kind!r}",
    "unknown PlantVillage source {source!r}; expected one of {sources}":
        "source PlantVillage inconnue {source!r} ; attendu l'une de {sources}",
    # --- helpers/data/splits.py
    "fractions must sum to 1, got {fractions}":
        "les fractions doivent avoir une somme de 1, reçu {fractions}",
    "grouping must be one of {groupings}, not {grouping!r}":
        "grouping doit être l'un de {groupings}, pas {grouping!r}",
    "{root} has no images to split":
        "{root} n'a aucune image à répartir",
    "fractions must be three non-negative numbers summing to 1, got {fractions}":
        "fractions doit être trois nombres positifs ou nuls de somme 1, reçu {fractions}",
    "{path} is not a split file (missing {missing})":
        "{path} n'est pas un fichier de répartition (il manque {missing})",
    "k must be an integer of at least 2, got {k!r}":
        "k doit être un entier d'au moins 2, reçu {k!r}",
    "No split file at {path}; make one with make_split(root)":
        "Pas de fichier de répartition à {path} ; créez-en un avec make_split(root)",
    "{path} is fold {saved_fold} of {saved_get_k} and cannot be reused ({reason}): make the folds again with kfold_splits(root, k={saved_get_k}, seed={saved_get_seed}, grouping={saved_grouping!r}, save=True)":
        "{path} est le pli {saved_fold} sur {saved_get_k} et ne peut pas être réutilisé ({reason}) : refaites les plis avec kfold_splits(root, k={saved_get_k}, seed={saved_get_seed}, grouping={saved_grouping!r}, save=True)",
    # --- helpers/exercises/ch00.py
    "Python {actual_python}, PyTorch {actual_torch}, device {actual_device} on {platform_machine}.":
        "Python {actual_python}, PyTorch {actual_torch}, périphérique {actual_device} sur {platform_machine}.",
    "your answer":
        "votre réponse",
    "the dictionary needs the keys 'python', 'torch' and 'device'; missing: {missing}":
        "le dictionnaire doit avoir les clés 'python', 'torch' et 'device' ; il manque : {missing}",
    "Python {actual_python} is too old for the course: install Python 3.11 or newer":
        "Python {actual_python} est trop ancien pour le cours : installez Python 3.11 ou plus récent",
    "PyTorch {actual_torch} is too old for the course: pip install -U torch":
        "PyTorch {actual_torch} est trop ancien pour le cours : pip install -U torch",
    "'{key}' is {answer_key!r}, but this kernel runs {actual_key!r}: read it from the running Python (e.g. torch.__version__, config.device())":
        "'{key}' vaut {answer_key!r}, mais ce noyau exécute {actual_key!r} : lisez-le dans le Python en cours d'exécution (par ex. torch.__version__, config.device())",
    # --- helpers/exercises/ch01.py
    "dJ/dw = (2/n) Σ (w x_i - y_i) x_i, as autograd computes.":
        "dJ/dw = (2/n) Σ (w x_i - y_i) x_i, comme le calcule autograd.",
    "below 2/λ_max every direction of the bowl contracts; above it the steepest one grows.":
        "sous 2/λ_max, chaque direction de la cuvette se contracte ; au-dessus, la plus raide grandit.",
    "{centred} steps with centred x against {original} with the original x: {verdict}.":
        "{centred} pas avec x centré contre {original} avec le x d'origine : {verdict}.",
    "a temperature is a number on a continuous scale":
        "une température est un nombre sur une échelle continue",
    "one of 38 classes: the PlantVillage task of this course":
        "une classe parmi 38 : la tâche PlantVillage de ce cours",
    "a count is predicted as a number":
        "un effectif se prédit comme un nombre",
    "spam or not spam: two classes":
        "spam ou pas spam : deux classes",
    "a number on a scale is regression; one answer out of a fixed list is classification.":
        "un nombre sur une échelle, c'est de la régression ; une réponse parmi une liste fixe, c'est de la classification.",
    "gradient descent did not get within {tolerance} of the minimum in {max_steps} steps":
        "la descente de gradient n'est pas arrivée à moins de {tolerance} du minimum en {max_steps} pas",
    "your number of steps":
        "votre nombre de pas",
    "centring makes the bowl rounder, so one learning rate suits both directions better":
        "centrer rend la cuvette plus ronde, donc un même taux d'apprentissage convient mieux aux deux directions",
    "here centring did not speed it up":
        "ici, centrer ne l'a pas accélérée",
    "{int_got} is the number of steps for the original x; centre it first (x - x.mean()) and count again":
        "{int_got} est le nombre de pas pour le x d'origine ; centrez-le d'abord (x - x.mean()) et recomptez",
    "your answer is {got:g} steps; with centred x the cost is within 1e-3 of its minimum after about {centred} steps. Count the steps before the first cost that is close enough.":
        "votre réponse est {got:g} pas ; avec x centré, le coût est à moins de 1e-3 de son minimum après environ {centred} pas. Comptez les pas avant le premier coût assez proche.",
    "not answered yet: replace each ... with \"regression\" or \"classification\"":
        "pas encore de réponse : remplacez chaque ... par \"regression\" ou \"classification\"",
    " You are off by a factor 2: the derivative of e² is 2e.":
        " Vous êtes à un facteur 2 près : la dérivée de e² est 2e.",
    "grad_w({w}, x, y) returned {got:.6g} on {len_x} points, autograd says {expected:.6g}.{hint}":
        "grad_w({w}, x, y) a renvoyé {got:.6g} sur {len_x} points, autograd donne {expected:.6g}.{hint}",
    "gradient descent still converges just above your limit":
        "la descente de gradient converge encore juste au-dessus de votre limite",
    " You are off by a factor 2: the limit is 2/λ_max, with the Hessian 2·[[mean x², mean x], [mean x, 1]].":
        " Vous êtes à un facteur 2 près : la limite est 2/λ_max, avec la hessienne 2·[[mean x², mean x], [mean x, 1]].",
    "for x in [{low}, {low_width}] you returned {got:.4g}, expected {expected:.4g}{value}.{hint}":
        "pour x dans [{low}, {low_width}] vous avez renvoyé {got:.4g}, attendu {expected:.4g}{value}.{hint}",
    "your dictionary has no entry {key!r}":
        "votre dictionnaire n'a pas d'entrée {key!r}",
    "({key}) should be \"regression\" or \"classification\", got {answer_key!r}":
        "({key}) doit valoir \"regression\" ou \"classification\", reçu {answer_key!r}",
    " That is -1 times the gradient: dJ/dw = mean(2 (w x - y) x).":
        " C'est -1 fois le gradient : dJ/dw = mean(2 (w x - y) x).",
    "gradient descent already diverges just below your limit":
        "la descente de gradient diverge déjà juste sous votre limite",
    " Use the LARGEST eigenvalue: the steepest direction is the first to overshoot.":
        " Prenez la PLUS GRANDE valeur propre : la direction la plus raide est la première à dépasser.",
    " Check the matrix and the 2/λ_max.":
        " Vérifiez la matrice et le 2/λ_max.",
    " That is {len_x} times too large: J is a mean, not a sum.":
        " C'est {len_x} fois trop grand : J est une moyenne, pas une somme.",
    " Did you forget the factor x_i from the chain rule (d(w x_i)/dw = x_i)?":
        " Avez-vous oublié le facteur x_i de la dérivation en chaîne (d(w x_i)/dw = x_i) ?",
    "({key}) is {right}, not {value}: {why}":
        "({key}) est {right}, pas {value} : {why}",
    # --- helpers/exercises/ch02.py
    "{expected:.1%} against {plain:.1%} unscaled: distances now measure almost only feature 2, so the classes that differ along feature 1 get mixed up.":
        "{expected:.1%} contre {plain:.1%} sans mise à l'échelle : les distances ne mesurent presque plus que la caractéristique 2, donc les classes qui diffèrent selon la caractéristique 1 se mélangent.",
    "every feature now has mean 0 and standard deviation 1 on the training set: each counts equally.":
        "chaque caractéristique a maintenant une moyenne de 0 et un écart-type de 1 sur le jeu d'entraînement : chacune compte autant.",
    "the elbow is the last K that still buys a big drop.":
        "le coude est le dernier K qui apporte encore une forte baisse.",
    "{found_3} of {n} with k = 3, against {found_10} with k = 10: tiny neighbourhoods make noisy densities, and a pair of nearby outliers hides each other.":
        "{found_3} sur {n} avec k = 3, contre {found_10} avec k = 10 : de tout petits voisinages donnent des densités bruitées, et une paire de points aberrants proches se masquent l'un l'autre.",
    "your accuracy":
        "votre exactitude",
    "your count":
        "votre compte",
    "{got:g} is a percentage: give the accuracy as a fraction between 0 and 1":
        "{got:g} est un pourcentage : donnez l'exactitude comme une fraction entre 0 et 1",
    "{got:.4f} is the accuracy without scaling: multiply the second column of both sets by 100":
        "{got:.4f} est l'exactitude sans mise à l'échelle : multipliez la deuxième colonne des deux jeux par 100",
    " You scaled the validation points but not the training points they are compared with.":
        " Vous avez mis à l'échelle les points de validation mais pas les points d'entraînement auxquels ils sont comparés.",
    " Scale both sets by torch.tensor([1.0, 100.0]).":
        " Mettez les deux jeux à l'échelle avec torch.tensor([1.0, 100.0]).",
    "your accuracy is {got:.4f}, expected {expected:.4f}.{hint}":
        "votre exactitude vaut {got:.4f}, attendu {expected:.4f}.{hint}",
    "standardise(reference, points) returned {got_tolist} for reference {ref_tolist} and points {points_tolist}; expected {value}":
        "standardise(reference, points) a renvoyé {got_tolist} pour la référence {ref_tolist} et les points {points_tolist} ; attendu {value}",
    "{got:g} is the count with k = 10 (the notebook's); recompute with k = 3":
        "{got:g} est le compte avec k = 10 (celui du notebook) ; recalculez avec k = 3",
    "you found {got:g} of the {n} planted outliers in the top {n}; with k = 3 it is {found_3}. Take the {n} highest scores with argsort(descending=True)[:{n}] and count how many are planted (is_planted)":
        "vous avez trouvé {got:g} des {n} points aberrants plantés dans les {n} premiers ; avec k = 3 c'est {found_3}. Prenez les {n} plus grands scores avec argsort(descending=True)[:{n}] et comptez combien sont plantés (is_planted)",
    "standardise must return a tensor shaped like `points` {tuple_points_shape}, got {value}":
        "standardise doit renvoyer un tenseur de la forme de `points` {tuple_points_shape}, reçu {value}",
    "your function uses the statistics of `points` itself: use the mean and standard deviation of `reference` (the training set), or you leak information from the data you evaluate":
        "votre fonction utilise les statistiques de `points` lui-même : utilisez la moyenne et l'écart-type de `reference` (le jeu d'entraînement), sinon vous faites fuir de l'information des données que vous évaluez",
    "you divided by the variance: divide by the standard deviation (its square root)":
        "vous avez divisé par la variance : divisez par l'écart-type (sa racine carrée)",
    "you used one mean and one std for the whole table: compute them per feature, with dim=0 (down the rows)":
        "vous avez utilisé une seule moyenne et un seul écart-type pour tout le tableau : calculez-les par caractéristique, avec dim=0 (le long des lignes)",
    # --- helpers/exercises/ch03.py
    "the +1 of the goal flows back one move per update, discounted by gamma each time.":
        "le +1 du but remonte d'un coup par mise à jour, actualisé par gamma à chaque fois.",
    "exploration and exploitation in four lines.":
        "exploration et exploitation en quatre lignes.",
    "V*(S) = {expected:.4f} with gamma = 0.9, against {value_095:.4f} with 0.95.":
        "V*(S) = {expected:.4f} avec gamma = 0.9, contre {value_095:.4f} avec 0.95.",
    "that is the value with gamma = 0.95 (the notebook's): use 0.9":
        "c'est la valeur avec gamma = 0.95 (celui du notebook) : utilisez 0.9",
    "you left out the step penalties (-0.01 for each of the 7 moves before the goal)":
        "vous avez oublié les pénalités de pas (-0.01 pour chacun des 7 coups avant le but)",
    "one discount too many: the goal's +1 comes with the 8th move, discounted by gamma**7, after 7 penalties":
        "une actualisation de trop : le +1 du but arrive avec le 8e coup, actualisé par gamma**7, après 7 pénalités",
    "the step penalties are discounted too: -0.01 * gamma**t":
        "les pénalités de pas sont actualisées elles aussi : -0.01 * gamma**t",
    "your value is {got:.4f}, expected {expected:.4f}: the return of the 8-move path is -0.01 (1 + gamma + ... + gamma**6) + gamma**7":
        "votre valeur est {got:.4f}, attendu {expected:.4f} : le retour du chemin de 8 coups est -0.01 (1 + gamma + ... + gamma**6) + gamma**7",
    "an ordinary move":
        "un coup ordinaire",
    "the move into the goal":
        "le coup qui entre dans le but",
    "a move into a trap (the episode ends: no future)":
        "un coup qui entre dans un piège (l'épisode se termine : pas d'avenir)",
    "a move with negative Q":
        "un coup avec des Q négatifs",
    "gamma = 0: only the reward counts":
        "gamma = 0 : seule la récompense compte",
    "your function returned the action {bad}; actions are 0 to {len_row_1}":
        "votre fonction a renvoyé l'action {bad} ; les actions vont de 0 à {len_row_1}",
    "epsilon = 0 must always take the best action (→, index 1)":
        "epsilon = 0 doit toujours prendre la meilleure action (→, indice 1)",
    "two actions share the best value: pick either, at random, about half the time each (np.flatnonzero(q_row == q_row.max()) lists them)":
        "deux actions partagent la meilleure valeur : choisissez l'une ou l'autre, au hasard, environ la moitié du temps chacune (np.flatnonzero(q_row == q_row.max()) les liste)",
    "epsilon = 1 must pick every action a quarter of the time":
        "epsilon = 1 doit choisir chaque action un quart du temps",
    "with epsilon = 0.2 the random move is one of ALL four actions, so the best one is taken 0.8 + 0.2/4 = 85% of the time":
        "avec epsilon = 0.2, le coup aléatoire est l'une des quatre actions, TOUTES comprises, donc la meilleure est prise 0.8 + 0.2/4 = 85 % du temps",
    "when the move ends the episode there is no next state to look at: the target is r":
        "quand le coup termine l'épisode il n'y a pas d'état suivant à regarder : la cible est r",
    "for {what} (reward {reward}, Q(s') = {next_row_tolist}, done={done}, gamma={gamma}) you returned {got:.4g}, expected {expected:.4g}: {hint}":
        "pour {what} (récompense {reward}, Q(s') = {next_row_tolist}, done={done}, gamma={gamma}) vous avez renvoyé {got:.4g}, attendu {expected:.4g} : {hint}",
    "your value {got:.4f} is not V*(S) = {expected:.4f}: {hint}":
        "votre valeur {got:.4f} n'est pas V*(S) = {expected:.4f} : {hint}",
    "for Q = {q_row_tolist} and epsilon = {epsilon} your actions came out with frequencies {frequencies}, expected about {expected}: {why}":
        "pour Q = {q_row_tolist} et epsilon = {epsilon} vos actions sont sorties avec les fréquences {frequencies}, attendu environ {expected} : {why}",
    "use the best action's value, max over Q(s', ·), not the mean":
        "utilisez la valeur de la meilleure action, le max sur Q(s', ·), pas la moyenne",
    "multiply the future value by the discount gamma":
        "multipliez la valeur future par le facteur d'actualisation gamma",
    "target = reward if done else reward + gamma * max(next_q_row)":
        "cible = reward if done else reward + gamma * max(next_q_row)",
    "your V*(S)":
        "votre V*(S)",
    # --- helpers/exercises/ch04.py
    "subtracting the row's maximum changes nothing mathematically and keeps every exp below 1.":
        "soustraire le maximum de la ligne ne change rien mathématiquement et garde chaque exp sous 1.",
    "{right}/4 corners, {points:.0%} of the points, final loss {loss_item:.3f}, {params} weights.":
        "{right}/4 coins, {points:.0%} des points, perte finale {loss_item:.3f}, {params} poids.",
    "your output a":
        "votre sortie a",
    "z = {z:.1f} and a = σ(0.2) = {expected:.4f}: a small positive z gives a bit more than 0.5.":
        "z = {z:.1f} et a = σ(0.2) = {expected:.4f} : un petit z positif donne un peu plus de 0.5.",
    "your output is {got:.4g}, expected {expected:.4f}: z = 0.5·1 + (-0.25)·2 + 0.2, then a = σ(z)":
        "votre sortie vaut {got:.4g}, attendu {expected:.4f} : z = 0.5·1 + (-0.25)·2 + 0.2, puis a = σ(z)",
    "{got:g} is z, the linear combination: apply the sigmoid 1 / (1 + e^(-z)) to it":
        "{got:g} est z, la combinaison linéaire : appliquez-lui la sigmoïde 1 / (1 + e^(-z))",
    "{got:.4f} leaves out the bias b = 0.2: z = w · x + b":
        "{got:.4f} oublie le biais b = 0.2 : z = w · x + b",
    "{got:.4f} is σ(-z): the sigmoid is 1 / (1 + e^(-z)), with a minus in the exponent":
        "{got:.4f} est σ(-z) : la sigmoïde est 1 / (1 + e^(-z)), avec un moins dans l'exposant",
    "softmax of the {what}":
        "softmax de {what}",
    " Your network has no activation between its layers: a stack of Linear layers is one linear map, and no straight line separates XOR.":
        " Votre réseau n'a pas d'activation entre ses couches : un empilement de couches Linear est une seule application linéaire, et aucune droite ne sépare XOR.",
    " Too few hidden neurons (or an unlucky start): one ReLU neuron bends the plane along one line only; XOR needs at least two, and a few more make training reliable.":
        " Trop peu de neurones cachés (ou un départ malchanceux) : un neurone ReLU ne plie le plan que le long d'une seule droite ; XOR en demande au moins deux, et quelques-uns de plus rendent l'entraînement fiable.",
    "after 300 steps your network gets {right}/4 corners and {points:.0%} of the points right (final loss {loss_item:.3f}).{why}":
        "après 300 pas, votre réseau a juste sur {right}/4 coins et {points:.0%} des points (perte finale {loss_item:.3f}).{why}",
    "softmax of the {what}: expected shape {tuple_logits_shape}, got {tuple_got_shape}":
        "softmax de {what} : forme attendue {tuple_logits_shape}, reçu {tuple_got_shape}",
    "softmax of the {what} {logits_tolist} gives {got_tolist}: exp overflows to inf. Subtract each row's largest logit before exponentiating":
        "le softmax de {what} {logits_tolist} donne {got_tolist} : exp déborde vers inf. Soustrayez le plus grand logit de chaque ligne avant de prendre l'exponentielle",
    "softmax of the {what}: each row should sum to 1 but sums to {sums}; normalise along the last dimension (dim=-1, keepdim=True)":
        "softmax de {what} : chaque ligne doit avoir une somme de 1 mais a pour somme {sums} ; normalisez selon la dernière dimension (dim=-1, keepdim=True)",
    "the network should output one logit per point: shape (N, 1); for 200 points it returned {tuple_out_shape}":
        "le réseau doit sortir un logit par point : forme (N, 1) ; pour 200 points il a renvoyé {tuple_out_shape}",
    "ordinary logits":
        "logits ordinaires",
    "one sample of four classes":
        "un exemple de quatre classes",
    "large logits":
        "grands logits",
    # --- helpers/exercises/ch05.py
    "(N, in) @ (in, out) + (out,) -> (N, out): what every nn.Linear does.":
        "(N, in) @ (in, out) + (out,) -> (N, out) : ce que fait chaque nn.Linear.",
    "permute only changes the strides: the result is not contiguous (.contiguous() before .view).":
        "permute ne change que les pas en mémoire (strides) : le résultat n'est pas contigu (.contiguous() avant .view).",
    "S = {expected:g}: 3e-9 survives, coming back as {kept:.3g} (float16's coarse steps near its smallest numbers). Scalers start much higher (2^16) and back off on inf.":
        "S = {expected:g} : 3e-9 survit, et revient sous la forme {kept:.3g} (les pas grossiers de float16 près de ses plus petits nombres). Les scalers partent bien plus haut (2^16) et reculent en cas d'inf.",
    "your shape":
        "votre forme",
    "sizes are aligned from the right; a 1 (or a missing size) stretches to match.":
        "les tailles sont alignées à droite ; un 1 (ou une taille absente) s'étire pour correspondre.",
    "{got} is not it: write (5, 1, 4) over (_, 3, 1), right-aligned, and take the larger size in each column":
        "{got} n'est pas la bonne : écrivez (5, 1, 4) au-dessus de (_, 3, 1), alignés à droite, et prenez la plus grande taille de chaque colonne",
    "your scale":
        "votre facteur d'échelle",
    "{got} keeps one operand's shape: broadcasting stretches every size-1 (or missing) dimension of either operand":
        "{got} garde la forme d'un seul opérande : le broadcasting étire chaque dimension de taille 1 (ou absente) de l'un ou l'autre opérande",
    "{got}: align the shapes from the RIGHT: (5, 1, 4) over (_, 3, 1)":
        "{got} : alignez les formes à DROITE : (5, 1, 4) au-dessus de (_, 3, 1)",
    "for a batch of shape (N, H, W, C) = (2, 4, 6, 3) you return {tuple_got_shape}, expected (2, 3, 4, 6): channels second, then height, then width":
        "pour un lot de forme (N, H, W, C) = (2, 4, 6, 3) vous renvoyez {tuple_got_shape}, attendu (2, 3, 4, 6) : les canaux en deuxième, puis la hauteur, puis la largeur",
    "the shape is right but the pixels moved: the input's pixel (n={n}, h={h}, w={w}, c={c}) = {batch_n_h_w_c_item} should be at [n, c, h, w] = [{n}, {c}, {h}, {w}], where you have {got_n_c_h_w_item}. reshape/view keep the memory order; permute moves dimensions":
        "la forme est juste mais les pixels ont bougé : le pixel d'entrée (n={n}, h={h}, w={w}, c={c}) = {batch_n_h_w_c_item} devrait être en [n, c, h, w] = [{n}, {c}, {h}, {w}], où vous avez {got_n_c_h_w_item}. reshape/view gardent l'ordre de la mémoire ; permute déplace les dimensions",
    "{got:g} is not a power of two: try 2.0 ** k for k = 0, 1, 2, ...":
        "{got:g} n'est pas une puissance de deux : essayez 2.0 ** k pour k = 0, 1, 2, ...",
    "with S = {got:g}, 3e-9 * S = {value:.3g} still underflows to 0 in float16 (its smallest positive number is {value2:.3g}): take a larger power of two":
        "avec S = {got:g}, 3e-9 * S = {value:.3g} s'arrondit encore à 0 en float16 (son plus petit nombre positif est {value2:.3g}) : prenez une puissance de deux plus grande",
    "S = {got:g} works but is not the smallest: a smaller power of two already keeps 3e-9 above float16's underflow (the larger S, the sooner a big gradient overflows to inf)":
        "S = {got:g} fonctionne mais n'est pas le plus petit : une puissance de deux plus petite garde déjà 3e-9 au-dessus du seuil de sous-dépassement de float16 (plus S est grand, plus vite un grand gradient déborde vers inf)",
    "for X {tuple_X_shape} and weight {tuple_weight_shape} your output has shape {tuple_got_shape}, expected {n_fan_out}: the result has one row per sample and one column per output":
        "pour X {tuple_X_shape} et un poids {tuple_weight_shape}, votre sortie a la forme {tuple_got_shape}, attendu {n_fan_out} : le résultat a une ligne par exemple et une colonne par sortie",
    "your output is X @ W^T without the bias: add b (it broadcasts over the rows)":
        "votre sortie est X @ W^T sans le biais : ajoutez b (il est diffusé sur les lignes)",
    "with X {tuple_X_shape} and weight {tuple_weight_shape} your function fails: {error_line}. The weight is (out, in): transpose it":
        "avec X {tuple_X_shape} et un poids {tuple_weight_shape}, votre fonction échoue : {error_line}. Le poids est (out, in) : transposez-le",
    # --- helpers/exercises/ch06.py
    "three steps, the same parameters as the loop: this is what engine.fit repeats for every batch.":
        "trois pas, les mêmes paramètres que la boucle : c'est ce qu'engine.fit répète pour chaque lot.",
    "disjoint, complete, shuffled and reproducible: helpers.data.split_indices does the same.":
        "disjoints, complets, mélangés et reproductibles : helpers.data.split_indices fait la même chose.",
    "your learning rate":
        "votre taux d'apprentissage",
    "training MSE {first:.4f} -> {last:.4f} in {EPOCHS_Q1} epochs with lr = {lr:g}.":
        "MSE d'entraînement {first:.4f} -> {last:.4f} en {EPOCHS_Q1} époques avec lr = {lr:g}.",
    "with lr = {lr:g} the training MSE went from {first:.4f} to {last:.4f} in {EPOCHS_Q1} epochs (target {target:.4f}): it is still falling, the steps are too short. The limit is {limit:.3f}: take larger steps":
        "avec lr = {lr:g}, la MSE d'entraînement est passée de {first:.4f} à {last:.4f} en {EPOCHS_Q1} époques (cible {target:.4f}) : elle baisse encore, les pas sont trop courts. La limite est {limit:.3f} : faites des pas plus grands",
    "a learning rate must be positive, got {lr:g}: SGD steps against the gradient":
        "un taux d'apprentissage doit être positif, reçu {lr:g} : SGD fait des pas contre le gradient",
    "with lr = {lr:g} the training MSE went from {first:.4f} to {last:.4g} in {EPOCHS_Q1} epochs: it diverges. The stable range ends at 2/λ_max = {limit:.3f}":
        "avec lr = {lr:g}, la MSE d'entraînement est passée de {first:.4f} à {last:.4g} en {EPOCHS_Q1} époques : elle diverge. La plage stable s'arrête à 2/λ_max = {limit:.3f}",
    "with lr = {lr:g} the training MSE is {last:.4f} after {EPOCHS_Q1} epochs (target {target:.4f}): so close to the limit {limit:.3f}, every step overshoots the valley and the cost zig-zags down slowly. Back off a little":
        "avec lr = {lr:g}, la MSE d'entraînement vaut {last:.4f} après {EPOCHS_Q1} époques (cible {target:.4f}) : si près de la limite {limit:.3f}, chaque pas dépasse le fond de la vallée et le coût descend lentement en zigzag. Reculez un peu",
    "the loss returned at step {step}":
        "la perte renvoyée au pas {step}",
    "the same seed gave two different splits: use torch.Generator().manual_seed(seed)":
        "la même graine a donné deux répartitions différentes : utilisez torch.Generator().manual_seed(seed)",
    "seeds 0 and 1 gave the same split: pass the generator to torch.randperm(generator=...)":
        "les graines 0 et 1 ont donné la même répartition : passez le générateur à torch.randperm(generator=...)",
    "return the loss as a Python float (loss.item()), not a tensor: a tensor keeps the whole graph alive in a history list":
        "renvoyez la perte comme un float Python (loss.item()), pas un tenseur : un tenseur garde tout le graphe en vie dans une liste d'historique",
    "the parameters did not move: call optimizer.step() after loss.backward()":
        "les paramètres n'ont pas bougé : appelez optimizer.step() après loss.backward()",
    " The first step was right, so gradients are piling up: call optimizer.zero_grad() before loss.backward() (PyTorch adds new gradients to the old ones)":
        " Le premier pas était juste, donc les gradients s'accumulent : appelez optimizer.zero_grad() avant loss.backward() (PyTorch ajoute les nouveaux gradients aux anciens)",
    " Compute the loss on (x, y), call backward() on it, then optimizer.step()":
        " Calculez la perte sur (x, y), appelez backward() dessus, puis optimizer.step()",
    "after step {step} your parameters are a = {a:.5f}, b = {b:.5f}; the loop gives a = {reference_a_item:.5f}, b = {reference_b_item:.5f}.{extra}":
        "après le pas {step}, vos paramètres sont a = {a:.5f}, b = {b:.5f} ; la boucle donne a = {reference_a_item:.5f}, b = {reference_b_item:.5f}.{extra}",
    "step {step} returned the loss {got:.6f}; the loss of that step (before the update) is {expected:.6f}: compute it before optimizer.step()":
        "le pas {step} a renvoyé la perte {got:.6f} ; la perte de ce pas (avant la mise à jour) vaut {expected:.6f} : calculez-la avant optimizer.step()",
    "return three tensors (train, validation, test), got {len_parts} items":
        "renvoyez trois tenseurs (entraînement, validation, test), reçu {len_parts} éléments",
    "for n = {n} some indices are in two sets: the sets must be disjoint (cut one shuffled order into consecutive pieces)":
        "pour n = {n}, certains indices sont dans deux jeux : les jeux doivent être disjoints (coupez un seul ordre mélangé en morceaux consécutifs)",
    "for n = {n} the three sets hold {len_together} indices, not every index of range({n}) exactly once":
        "pour n = {n}, les trois jeux contiennent {len_together} indices, et non chaque indice de range({n}) exactement une fois",
    "for n = {n} and fractions {fractions} the sizes are {sizes}, expected {expected}":
        "pour n = {n} et les fractions {fractions}, les tailles sont {sizes}, attendu {expected}",
    "for n = {n}, on data sorted by class your test set holds only class(es) {test_classes}: shuffle the indices (torch.randperm) before cutting":
        "pour n = {n}, sur des données triées par classe, votre jeu de test ne contient que la ou les classes {test_classes} : mélangez les indices (torch.randperm) avant de couper",
    # --- helpers/exercises/ch07a.py, ch07b.py
    '{name} must return two tensors, (new p, new buffer), got {got_type}':
        '{name} doit renvoyer deux tenseurs, (nouveau p, nouveau tampon), reçu {got_type}',
    "your steps differ from torch.optim.RMSprop's from step {k} on: {why}":
        'vos pas diffèrent de ceux de torch.optim.RMSprop à partir du pas {k} : {why}',
    "after step {k} your parameter is {got}, torch.optim.RMSprop's is {expected}: s = alpha * s + (1 - alpha) * g**2, then p - lr * g / (sqrt(s) + eps)":
        'après le pas {k}, votre paramètre vaut {got}, celui de torch.optim.RMSprop {expected} : s = alpha * s + (1 - alpha) * g**2, puis p - lr * g / (sqrt(s) + eps)',
    "the same five steps as torch.optim.RMSprop. Its first step is {ratio:.1f} times the learning rate for every value, whatever its gradient's size (1 / sqrt(1 - alpha)): s starts at 0 and is too small at first. Adam divides its averages by 1 - beta**t for exactly this reason, and adds a running mean of g itself.":
        "les mêmes cinq pas que torch.optim.RMSprop. Son premier pas vaut {ratio:.1f} fois le taux d'apprentissage pour chaque valeur, quelle que soit la taille de son gradient (1 / sqrt(1 - alpha)) : s part de 0 et il est d'abord trop petit. Adam divise ses moyennes par 1 - beta**t précisément pour cette raison, et ajoute une moyenne glissante de g lui-même.",
    "you divide by s itself; RMSprop divides by its square root, sqrt(s) + eps, which has the gradient's units, so the step's size no longer depends on the gradient's scale":
        "vous divisez par s lui-même ; RMSprop divise par sa racine carrée, sqrt(s) + eps, qui a les unités du gradient, si bien que la taille du pas ne dépend plus de l'échelle du gradient",
    's = alpha * s + g**2 adds the whole squared gradient each step; the running mean weighs it by 1 - alpha':
        's = alpha * s + g**2 ajoute tout le gradient au carré à chaque pas ; la moyenne glissante le pondère par 1 - alpha',
    "you divide by the running mean BEFORE adding this step's g**2 (at the first step s is 0, so the step is g / eps: enormous); update s first":
        "vous divisez par la moyenne glissante AVANT d'y ajouter le g**2 de ce pas (au premier pas s vaut 0, le pas vaut donc g / eps : énorme) ; mettez d'abord s à jour",
    "that is plain momentum (p - lr * v), torch.optim.SGD(momentum=0.9) step for step; Nesterov's step adds the gradient and one more velocity: p - lr * (g + mu * v)":
        "c'est le momentum simple (p - lr * v), torch.optim.SGD(momentum=0.9) pas pour pas ; le pas de Nesterov ajoute le gradient et une vitesse de plus : p - lr * (g + mu * v)",
    'your velocity adds (1 - mu) * g; torch.optim.SGD adds the whole gradient (v = mu * v + g: its dampening is 0 unless asked)':
        'votre vitesse ajoute (1 - mu) * g ; torch.optim.SGD ajoute tout le gradient (v = mu * v + g : son amortissement, dampening, vaut 0 sauf demande)',
    "after step {k} your parameter is {got}, torch.optim.SGD(nesterov=True)'s is {expected}: update v = mu * v + g first, then step by lr * (g + mu * v) with the NEW v":
        "après le pas {k}, votre paramètre vaut {got}, celui de torch.optim.SGD(nesterov=True) {expected} : mettez d'abord à jour v = mu * v + g, puis faites un pas de lr * (g + mu * v) avec le NOUVEAU v",
    "the same five steps as torch.optim.SGD(momentum=0.9, nesterov=True); plain momentum on the same gradients ends up to {apart:.3f} away. On a gradient that stays the same both steps grow to 1 / (1 - mu) = {limit:.0f} times SGD's; Nesterov reacts sooner when it turns.":
        "les mêmes cinq pas que torch.optim.SGD(momentum=0.9, nesterov=True) ; le momentum simple, sur les mêmes gradients, finit jusqu'à {apart:.3f} plus loin. Sur un gradient qui reste le même, les deux pas grandissent jusqu'à 1 / (1 - mu) = {limit:.0f} fois celui de SGD ; Nesterov réagit plus tôt quand il tourne.",
    "the logit form never computes sigmoid(z), so nothing underflows: this is BCEWithLogitsLoss.":
        "la forme avec logits ne calcule jamais sigmoid(z), donc rien ne s'arrondit à zéro : c'est BCEWithLogitsLoss.",
    "the rule of helpers.engine: logit > 0 for one column, argmax for several.":
        "la règle de helpers.engine : logit > 0 pour une colonne, argmax pour plusieurs.",
    "{acc:.0%} with a linear model: hand-made features, as in classic ML; hidden layers learn them.":
        "{acc:.0%} avec un modèle linéaire : des caractéristiques faites à la main, comme en ML classique ; les couches cachées les apprennent.",
    "{name} at lr = {lr:g}: loss {start:.2f} -> {final:.3f} in {STEPS} steps.":
        "{name} à lr = {lr:g} : perte {start:.2f} -> {final:.3f} en {STEPS} pas.",
    "bce_with_logits on {what}":
        "bce_with_logits sur {what}",
    "one logit per sample, shape (N, 1)":
        "un logit par exemple, forme (N, 1)",
    "one logit per sample, shape (N,)":
        "un logit par exemple, forme (N,)",
    "three logits per sample":
        "trois logits par exemple",
    "two logits per sample":
        "deux logits par exemple",
    "accuracy for {what}":
        "exactitude pour {what}",
    "add_feature should return shape (N, 3) (the two coordinates and one new feature); for {len_X_train} points it returned {tuple_train_shape}":
        "add_feature doit renvoyer la forme (N, 3) (les deux coordonnées et une nouvelle caractéristique) ; pour {len_X_train} points elle a renvoyé {tuple_train_shape}",
    "keep the two coordinates as the first two columns and add your feature as the third":
        "gardez les deux coordonnées dans les deux premières colonnes et ajoutez votre caractéristique en troisième",
    "nn.Linear(3, 1) trained on your features reaches {acc:.0%} validation accuracy (needs 90%): a linear model draws a plane, so the new feature must put the two rings on either side of a threshold. What differs between a point on the inner ring and one on the outer ring?":
        "nn.Linear(3, 1) entraîné sur vos caractéristiques atteint {acc:.0%} d'exactitude de validation (il faut 90 %) : un modèle linéaire trace un plan, donc la nouvelle caractéristique doit placer les deux anneaux de part et d'autre d'un seuil. Qu'est-ce qui distingue un point de l'anneau intérieur d'un point de l'anneau extérieur ?",
    "with {name} at lr = {lr:g} the loss went from {start:.2f} up to {max_losses:.3g} and ended at {final:.3g}: it diverged. The learning rate is too large for {name}":
        "avec {name} à lr = {lr:g}, la perte est montée de {start:.2f} jusqu'à {max_losses:.3g} et a fini à {final:.3g} : elle a divergé. Le taux d'apprentissage est trop grand pour {name}",
    "it barely moved: the steps are too short":
        "elle a à peine bougé : les pas sont trop courts",
    "it is going down, but not fast enough":
        "elle baisse, mais pas assez vite",
    "with {name} at lr = {lr:g} the training loss went from {start:.2f} to {final:.3f} in {STEPS} steps (target {TARGET_LOSS}): {verdict}. Section 3's sweep shows which learning rates work for which optimiser":
        "avec {name} à lr = {lr:g}, la perte d'entraînement est passée de {start:.2f} à {final:.3f} en {STEPS} pas (cible {TARGET_LOSS}) : {verdict}. Le balayage de la section 3 montre quels taux d'apprentissage marchent pour quel optimiseur",
    "for {what} you return a tensor of shape {tuple_got_shape}: average the per-sample losses into one number (.mean())":
        "pour {what} vous renvoyez un tenseur de forme {tuple_got_shape} : faites la moyenne des pertes par exemple en un seul nombre (.mean())",
    "for {what} (logits {logits_flatten_tolist}) you return {value}: exp or log overflowed. Write -log σ(z) as softplus(-z) and -log(1 - σ(z)) as softplus(z)":
        "pour {what} (logits {logits_flatten_tolist}) vous renvoyez {value} : exp ou log a débordé. Écrivez -log σ(z) comme softplus(-z) et -log(1 - σ(z)) comme softplus(z)",
    " That is BCELoss's clamp at 100: your log(sigmoid) underflowed to log(0)":
        " C'est la borne à 100 de BCELoss : votre log(sigmoid) s'est arrondi en log(0)",
    "for {what} (logits {logits_flatten_tolist}, targets {targets_flatten_tolist}) you return {value:.6g}, expected {expected:.6g}.{hint}":
        "pour {what} (logits {logits_flatten_tolist}, cibles {targets_flatten_tolist}) vous renvoyez {value:.6g}, attendu {expected:.6g}.{hint}",
    "with one column, argmax is always 0: compare the logit with 0 instead (logit > 0 means class 1)":
        "avec une seule colonne, argmax vaut toujours 0 : comparez plutôt le logit à 0 (logit > 0 signifie classe 1)",
    "for {what} you return {got:.4g}, expected {expected:.4g}: {hint}":
        "pour {what} vous renvoyez {got:.4g}, attendu {expected:.4g} : {hint}",
    "make_optimizer should return a torch.optim optimiser, got {type_optimizer_name}":
        "make_optimizer doit renvoyer un optimiseur torch.optim, reçu {type_optimizer_name}",
    " The sign is wrong: the loss is MINUS the log-probability of the true class":
        " Le signe est faux : la perte est MOINS la log-probabilité de la vraie classe",
    " Per sample: t·softplus(-z) + (1 - t)·softplus(z), then the mean":
        " Par exemple : t·softplus(-z) + (1 - t)·softplus(z), puis la moyenne",
    "class 1 when the logit is positive (σ(z) > 0.5 exactly when z > 0), then compare":
        "classe 1 quand le logit est positif (σ(z) > 0.5 exactement quand z > 0), puis comparez",
    "with several logits the predicted class is logits.argmax(dim=1)":
        "avec plusieurs logits, la classe prédite est logits.argmax(dim=1)",
    "a (N, 1) column":
        "une colonne (N, 1)",
    "confident and wrong":
        "sûr de lui et faux",
    "confident and right":
        "sûr de lui et juste",
    # --- helpers/exercises/core.py (expect_callable)
    "give the function itself ({name}, not {called}); got {kind}":
        "donnez la fonction elle-même ({name}, pas {called}) ; reçu {kind}",
    "give the function itself ({name}), got {kind}":
        "donnez la fonction elle-même ({name}), reçu {kind}",
    # --- helpers/exercises/ch08a.py
    "batch_from_bytes should return a tensor, got {got_type}":
        "batch_from_bytes doit renvoyer un tenseur, reçu {got_type}",
    "your batch has shape {shape}: a convolution wants a channel axis, (B, 1, 28, 28). `.unsqueeze(1)` adds it":
        "votre lot a la forme {shape} : une convolution veut un axe des canaux, (B, 1, 28, 28). `.unsqueeze(1)` l'ajoute",
    "your batch has shape {shape}, expected {expected}: one image per index, one grey channel":
        "votre lot a la forme {shape}, attendu {expected} : une image par indice, un canal de gris",
    "your batch is {dtype}; the model's weights are float32, and so is what ToTensor gives: `.float()`":
        "votre lot est en {dtype} ; les poids du modèle sont en float32, comme ce que donne ToTensor : `.float()`",
    "your pixels go up to {top:.0f}: ToTensor scales the bytes 0..255 to [0, 1], divide by 255":
        "vos pixels montent jusqu'à {top:.0f} : ToTensor ramène les octets 0..255 dans [0, 1], divisez par 255",
    "you returned the first {n} images; the batch is the images at `index`, in that order (a shuffled loader draws them at random)":
        "vous avez renvoyé les {n} premières images ; le lot, ce sont les images aux positions `index`, dans cet ordre (un loader mélangé les tire au hasard)",
    "your batch differs from what ToTensor gives image by image (largest difference {gap:.3g})":
        "votre lot diffère de ce que donne ToTensor image par image (plus grand écart {gap:.3g})",
    "the same {n} images as a PIL image and a ToTensor each, bit for bit, in one indexing operation: data.fashion_mnist_loaders does this at every step (data.to_unit_range).":
        "les mêmes {n} images qu'avec une image PIL et un ToTensor chacune, bit pour bit, en une seule opération d'indexation : data.fashion_mnist_loaders le fait à chaque pas (data.to_unit_range).",
    "most_confused_pair should return two class names, got {got!r}":
        "most_confused_pair doit renvoyer deux noms de classes, reçu {got!r}",
    "give the class NAMES (classes[i]), not their indices: got {got!r}":
        "donnez les NOMS des classes (classes[i]), pas leurs indices : reçu {got!r}",
    "{unknown} is not one of the classes":
        "{unknown} n'est pas l'une des classes",
    "on {case} you returned a class with itself: the diagonal holds the right answers; leave it out":
        "sur {case}, vous avez renvoyé une classe avec elle-même : la diagonale contient les bonnes réponses ; laissez-la de côté",
    "on {case} you took the largest single cell ({a} called {b}); a pair is confused in both directions: add cm[i, j] and cm[j, i]":
        "sur {case}, vous avez pris la plus grande case isolée ({a} appelé {b}) ; une paire se confond dans les deux sens : additionnez cm[i, j] et cm[j, i]",
    "on {case} the most confused pair is {right}, not {got}":
        "sur {case}, la paire la plus confondue est {right}, pas {got}",
    "{a} vs {b}: {pair:,} images confused in one direction or the other, {share:.0%} of the model's {mistakes:,} mistakes.":
        "{a} vs {b} : {pair:,} images confondues dans un sens ou dans l'autre, {share:.0%} des {mistakes:,} erreurs du modèle.",
    "the first made-up matrix":
        "la première matrice inventée",
    "the second made-up matrix":
        "la seconde matrice inventée",
    "the CNN's matrix `cm`":
        "la matrice `cm` du CNN",
    # --- helpers/exercises/ch08b.py (the smoothed loss)
    "smooth should return one number per loss (a list), got {got_type}":
        "smooth doit renvoyer un nombre par perte (une liste), reçu {got_type}",
    "smooth returned {got} values for {n} losses: one smoothed value per step":
        "smooth a renvoyé {got} valeurs pour {n} pertes : une valeur lissée par pas",
    "Without the correction the average starts at (1 - beta) x the first loss ({first:.3f} here), far below the loss: divide step t's average by 1 - beta**(t + 1).":
        "Sans la correction, la moyenne part de (1 - beta) x la première perte ({first:.3f} ici), bien en dessous de la perte : divisez la moyenne du pas t par 1 - beta**(t + 1).",
    "beta is the weight of the PAST average; the new loss gets 1 - beta.":
        "beta est le poids de la moyenne PASSÉE ; la nouvelle perte reçoit 1 - beta.",
    "That is the running mean: it weighs every loss alike, so the curve remembers the first steps forever. An exponential average forgets at rate beta.":
        "C'est la moyenne cumulée : elle pèse chaque perte de la même façon, si bien que la courbe se souvient à jamais des premiers pas. Une moyenne exponentielle oublie au rythme beta.",
    "average = beta * average + (1 - beta) * loss, then average / (1 - beta ** (t + 1)).":
        "average = beta * average + (1 - beta) * loss, puis average / (1 - beta ** (t + 1)).",
    "for {case} your values are {got}, expected {right}. {hint}":
        "pour {case}, vos valeurs sont {got}, attendu {right}. {hint}",
    "on section 3's curve your values differ from its `smoothed` column (largest difference {gap:.3g})":
        "sur la courbe de la section 3, vos valeurs diffèrent de sa colonne `smoothed` (plus grand écart {gap:.3g})",
    " It gives section 3's `smoothed` column exactly, all {n} steps.":
        " Elle redonne exactement la colonne `smoothed` de la section 3, sur les {n} pas.",
    "with beta = 0.9 the loss of 22 steps ago counts {share:.3f} times as much as the newest: the curve follows the learning rate, not the first batches. The correction is Adam's (chapter 7b): without it the first value would be a tenth of the loss.":
        "avec beta = 0.9, la perte d'il y a 22 pas compte {share:.3f} fois autant que la plus récente : la courbe suit le taux d'apprentissage, pas les premiers lots. La correction est celle d'Adam (chapitre 7b) : sans elle, la première valeur serait le dixième de la perte.",
    "a constant loss of 2.3":
        "une perte constante de 2.3",
    "a range test's losses":
        "les pertes d'un test de plage",
    "the same with beta = 0.5":
        "les mêmes avec beta = 0.5",
    # --- helpers/exercises/ch08b.py
    "{total:,} parameters for hidden_units=10, {value:.0%} of them in the classifier: the convolutions share theirs over the whole image.":
        "{total:,} paramètres pour hidden_units=10, dont {value:.0%} dans le classifieur : les convolutions partagent les leurs sur toute l'image.",
    "{recall:.1%} of the real shirts are found; {precision:.1%} of the images called Shirt are shirts.":
        "{recall:.1%} des vraies chemises sont trouvées ; {precision:.1%} des images classées Shirt sont des chemises.",
    "the loss fell from {start:.2f} to {end:.2f} in {STEPS} steps. Part of the course's lead over learnpytorch.io's TinyVGG is the recipe, not the architecture: section 4 separates the two.":
        "la perte est passée de {start:.2f} à {end:.2f} en {STEPS} pas. Une partie de l'avance du cours sur le TinyVGG de learnpytorch.io vient de la recette, pas de l'architecture : la section 4 sépare les deux.",
    "your recall":
        "votre rappel",
    "You forgot the biases: every filter and every output of the Linear layer has one.":
        "Vous avez oublié les biais : chaque filtre et chaque sortie de la couche Linear en a un.",
    "tinyvgg_parameters({hidden}) returned {got:g}, the model has {expected:,}. {hint}":
        "tinyvgg_parameters({hidden}) a renvoyé {got:g}, le modèle en a {expected:,}. {hint}",
    "{got:.4f} is the precision (the Shirt COLUMN: of the images called Shirt, how many were shirts). Recall reads the Shirt ROW: of the real shirts, how many were found":
        "{got:.4f} est la précision (la COLONNE Shirt : parmi les images classées Shirt, combien étaient des chemises). Le rappel lit la LIGNE Shirt : parmi les vraies chemises, combien ont été trouvées",
    "{got:.4f} is the overall accuracy (trace / total); the recall of Shirt uses the Shirt row only":
        "{got:.4f} est l'exactitude globale (trace / total) ; le rappel de Shirt n'utilise que la ligne Shirt",
    "{got:g} is a percentage; give the fraction {recall:.4f}":
        "{got:g} est un pourcentage ; donnez la fraction {recall:.4f}",
    "your recall of Shirt":
        "votre rappel de Shirt",
    "Divide the diagonal cell of the Shirt row by the sum of that row.":
        "Divisez la case diagonale de la ligne Shirt par la somme de cette ligne.",
    "the loss exploded (it started at {start:.2f} and reached {max_losses:.3g} within {STEPS} steps): the learning rate is far too large":
        "la perte a explosé (elle partait de {start:.2f} et a atteint {max_losses:.3g} en {STEPS} pas) : le taux d'apprentissage est bien trop grand",
    "after {STEPS} steps the loss is still {end:.2f} (it started at {start:.2f}): the model hardly learned. With SGD at lr 0.1 (learnpytorch.io's recipe) this model needs many more steps to start; try an optimizer that scales each weight's step (Adam)":
        "après {STEPS} pas la perte vaut encore {end:.2f} (elle partait de {start:.2f}) : le modèle n'a presque rien appris. Avec SGD à lr 0.1 (la recette de learnpytorch.io), ce modèle a besoin de beaucoup plus de pas pour démarrer ; essayez un optimiseur qui adapte le pas de chaque poids (Adam)",
    "The classifier sees 7 x 7 maps: each MaxPool(2) halves the side (28 -> 14 -> 7).":
        "Le classifieur voit des cartes 7 x 7 : chaque MaxPool(2) divise le côté par deux (28 -> 14 -> 7).",
    "make_optimizer(model) should return a torch.optim optimizer, got {type_optimizer_name}":
        "make_optimizer(model) doit renvoyer un optimiseur torch.optim, reçu {type_optimizer_name}",
    "your optimizer holds none of the model's parameters: pass model.parameters() to it":
        "votre optimiseur ne contient aucun des paramètres du modèle : passez-lui model.parameters()",
    "A filter covers every input channel: hidden x 3 x 3 weights after the first layer.":
        "Un filtre couvre tous les canaux d'entrée : hidden x 3 x 3 poids après la première couche.",
    "Count each layer: a 3x3 convolution c_in -> c_out has c_out x (c_in x 9 + 1) parameters, a Linear layer out x (in + 1).":
        "Comptez chaque couche : une convolution 3x3 c_in -> c_out a c_out x (c_in x 9 + 1) paramètres, une couche Linear out x (in + 1).",
    # --- helpers/exercises/ch09a.py (a convolution by hand)
    "{call} has shape {shape}, expected {expected}: the output-size formula of section 2, floor((W - K + 2P) / S) + 1 per side":
        "{call} a la forme {shape}, attendu {expected} : la formule de la taille de sortie de la section 2, floor((W - K + 2P) / S) + 1 par côté",
    "{call}: you flipped the kernel (the convolution of a maths course). PyTorch, like every deep learning library, slides the kernel as it is (a cross-correlation, section 1)":
        "{call} : vous avez retourné le noyau (la convolution d'un cours de maths). PyTorch, comme toutes les bibliothèques d'apprentissage profond, fait glisser le noyau tel quel (une corrélation croisée, section 1)",
    "{call} differs from F.conv2d (largest difference {gap:.3g}). Pad with zeros on every side first, then take the window at (i * stride, j * stride)":
        "{call} diffère de F.conv2d (plus grand écart {gap:.3g}). Entourez d'abord l'image de zéros de chaque côté, puis prenez la fenêtre en (i * stride, j * stride)",
    "the same as F.conv2d on five cases (stride 2 on an odd side, a 2x2 kernel, padding 2). F.conv2d does the same sums, batched over images and channels, in optimised code.":
        "le même résultat que F.conv2d sur cinq cas (pas de 2 sur un côté impair, un noyau 2x2, une marge de 2). F.conv2d fait les mêmes sommes, par lots d'images et de canaux, dans du code optimisé.",
    # --- helpers/exercises/ch09b.py (the multiply-adds of a residual block)
    "you left out the shortcut: its 1x1 convolution (cin -> cout) runs at every output position too":
        "vous avez oublié le raccourci : sa convolution 1x1 (cin -> cout) tourne aussi à chaque position de sortie",
    "the second convolution runs on the block's OUTPUT map ({out}x{out}), not on its input ({side}x{side}): the stride acts in the first one":
        "la seconde convolution tourne sur la carte de SORTIE du bloc ({out}x{out}), pas sur son entrée ({side}x{side}) : le pas agit dans la première",
    "the shortcut is a 1x1 convolution: one product per input channel, not 9":
        "le raccourci est une convolution 1x1 : un produit par canal d'entrée, pas 9",
    "add three convolutions at the output size {out}x{out}: 3x3 cin -> cout, 3x3 cout -> cout and the 1x1 shortcut cin -> cout":
        "additionnez trois convolutions à la taille de sortie {out}x{out} : 3x3 cin -> cout, 3x3 cout -> cout et le raccourci 1x1 cin -> cout",
    "right on five blocks. ResidualBlock(32, 64) on a 256 px map: {one_g:.2f} GMAC at stride 1, {two_g:.2f} at stride 2 ({ratio:.0f}x less): section 3's lesson, counted by you.":
        "juste sur cinq blocs. ResidualBlock(32, 64) sur une carte de 256 px : {one_g:.2f} GMAC avec un pas de 1, {two_g:.2f} avec un pas de 2 ({ratio:.0f}x moins) : la leçon de la section 3, comptée par vous.",
    # --- helpers/exercises/ch09a.py
    "right on all {len_SIZE_CASES} cases, including the odd width 255 with stride 2.":
        "juste sur les {len_SIZE_CASES} cas, y compris la largeur impaire 255 avec un pas de 2.",
    "the same count as helpers.macs on all cases (stride, odd size, 1x1, groups, batch).":
        "le même compte que helpers.macs dans tous les cas (pas, taille impaire, 1x1, groups, lot).",
    "the windows overlap, so 30, 70 and 37 each win two windows.":
        "les fenêtres se chevauchent, donc 30, 70 et 37 gagnent chacun deux fenêtres.",
    "{work_g:.2f} GMAC instead of {reference_g:.2f} ({share:.0%}) with the same {n_params:,} weights. The price: every block sees a 4x coarser image.":
        "{work_g:.2f} GMAC au lieu de {reference_g:.2f} ({share:.0%}) avec les mêmes {n_params:,} poids. Le prix : chaque bloc voit une image 4 fois plus grossière.",
    "the formula is floor((W - K + 2P) / S) + 1":
        "la formule est floor((W - K + 2P) / S) + 1",
    "each output only sees C_in / groups input channels: divide by layer.groups":
        "chaque sortie ne voit que C_in / groups canaux d'entrée : divisez par layer.groups",
    "your tensor has shape (1, 1, 3, 3): take the map out of its batch and channel dimensions with [0, 0]":
        "votre tenseur a la forme (1, 1, 3, 3) : sortez la carte de ses dimensions de lot et de canal avec [0, 0]",
    "your result is 2x2, which is MaxPool with stride 2 (the report's Fig 13); with stride=1 the windows overlap: floor((4 - 2) / 1) + 1 = 3 per side":
        "votre résultat est 2x2, c'est-à-dire un MaxPool de pas 2 (la Fig 13 du rapport) ; avec stride=1 les fenêtres se chevauchent : floor((4 - 2) / 1) + 1 = 3 par côté",
    "these are the AVERAGES of the windows (AvgPool2d): MaxPool keeps the largest value":
        "ce sont les MOYENNES des fenêtres (AvgPool2d) : MaxPool garde la plus grande valeur",
    "your pooled map":
        "votre carte après pooling",
    "your model outputs shape {out_shape} for one 256 px image; it must give (1, 38): one logit per class":
        "votre modèle sort la forme {out_shape} pour une image de 256 px ; il doit donner (1, 38) : un logit par classe",
    "your model has {n_params:,} parameters, ResNet_minimal has {MINIMAL_PARAMETERS:,}: keep the same layers and weights and change WHERE the work happens (e.g. the stem's stride)":
        "votre modèle a {n_params:,} paramètres, ResNet_minimal en a {MINIMAL_PARAMETERS:,} : gardez les mêmes couches et les mêmes poids et changez l'endroit OÙ se fait le travail (par ex. le pas du stem)",
    "your model does {work_g:.2f} GMAC, {share:.0%} of ResNet_minimal's {reference_g:.2f} GMAC; aim for under 30%: if the stem halves the image, every block works on 4x fewer pixels":
        "votre modèle fait {work_g:.2f} GMAC, {share:.0%} des {reference_g:.2f} GMAC de ResNet_minimal ; visez moins de 30 % : si le stem divise l'image par deux, chaque bloc travaille sur 4 fois moins de pixels",
    "conv_output_size{case} returned {value}: a size is a whole number of pixels; the formula floors the division: use // instead of /":
        "conv_output_size{case} a renvoyé {value} : une taille est un nombre entier de pixels ; la formule arrondit la division vers le bas : utilisez // au lieu de /",
    "count the OUTPUT positions ({h_out}x{w_out}), not the input's ({h}x{w}): stride and padding change them":
        "comptez les positions de SORTIE ({h_out}x{w_out}), pas celles de l'entrée ({h}x{w}) : le pas et le padding les changent",
    "your model cannot run on a (1, 3, 256, 256) image: {error}":
        "votre modèle ne peut pas traiter une image (1, 3, 256, 256) : {error}",
    "multiply by the batch size N = {n}: every image costs the same":
        "multipliez par la taille du lot N = {n} : chaque image coûte autant",
    "the count is output values x (C_in / groups) x K_h x K_w: here {n} x {layer_out_channels} x {h_out} x {w_out} output values, {per_output} products each":
        "le compte vaut valeurs de sortie x (C_in / groups) x K_h x K_w : ici {n} x {layer_out_channels} x {h_out} x {w_out} valeurs de sortie, {per_output} produits chacune",
    "you forgot the + 1 (the first position of the window counts too)":
        "vous avez oublié le + 1 (la première position de la fenêtre compte aussi)",
    "padding P is added on BOTH sides of the image: 2 * P":
        "le padding P s'ajoute des DEUX côtés de l'image : 2 * P",
    "divide by the stride S: the window moves S pixels at a time":
        "divisez par le pas S : la fenêtre avance de S pixels à la fois",
    "conv_output_size({w}, {k}, {p}, {s}) returned {got}, expected {expected}: {reason}":
        "conv_output_size({w}, {k}, {p}, {s}) a renvoyé {got}, attendu {expected} : {reason}",
    "{call} returned {shown}, expected {right:,}: {reason}":
        "{call} a renvoyé {shown}, attendu {right:,} : {reason}",
    # --- helpers/exercises/ch09b.py
    "a fraction p zeroed, the rest scaled by 1/(1 - p), and both edge cases right.":
        "une fraction p mise à zéro, le reste multiplié par 1/(1 - p), et les deux cas limites justes.",
    "the same rule as engine.fit(patience=...): try it on the history of section 2.":
        "la même règle qu'engine.fit(patience=...) : essayez-la sur l'historique de la section 2.",
    "the same as torch.nn.utils.clip_grad_norm_: one global norm, the direction kept.":
        "la même chose que torch.nn.utils.clip_grad_norm_ : une seule norme globale, la direction conservée.",
    "the first layer now gets {ratio:.2g} of the last layer's gradient norm, instead of {plain:.1e} in the plain net: at initialisation, BatchNorm keeps every layer's signal at standard deviation 1.":
        "la première couche reçoit maintenant {ratio:.2g} de la norme du gradient de la dernière couche, au lieu de {plain:.1e} dans le réseau simple : à l'initialisation, BatchNorm garde le signal de chaque couche à un écart-type de 1.",
    "with a global norm of {before:.3g} and max_norm={max_norm}":
        "avec une norme globale de {before:.3g} et max_norm={max_norm}",
    "dropout(x, 0.0) should return x unchanged: nothing is dropped":
        "dropout(x, 0.0) doit renvoyer x inchangé : rien n'est supprimé",
    "dropout(x, 1.0) should be all zeros (every value dropped); check that you do not divide by 1 - p = 0 (that gives NaN)":
        "dropout(x, 1.0) doit être entièrement nul (toutes les valeurs supprimées) ; vérifiez que vous ne divisez pas par 1 - p = 0 (cela donne NaN)",
    "training stops at the epoch where `patience` epochs in a row have not beaten the best loss (or at the last epoch)":
        "l'entraînement s'arrête à l'époque où `patience` époques d'affilée n'ont pas battu la meilleure perte (ou à la dernière époque)",
    "{where} your result has norm {got_norm:.4g}, expected {max_norm:.4g}: scale by max_norm / global norm":
        "{where}, votre résultat a une norme de {got_norm:.4g}, attendu {max_norm:.4g} : multipliez par max_norm / norme globale",
    "your model maps a batch of 8 images to shape {tuple_logits_shape}; expected (8, classes)":
        "votre modèle transforme un lot de 8 images en la forme {tuple_logits_shape} ; attendu (8, classes)",
    "your model has {n_convs} 3x3 convolutions; keep the depth (at least {MIN_CONVS}): the exercise is to make a DEEP net pass the gradient, not a shallow one":
        "votre modèle a {n_convs} convolutions 3x3 ; gardez la profondeur (au moins {MIN_CONVS}) : l'exercice consiste à faire passer le gradient dans un réseau PROFOND, pas dans un réseau peu profond",
    "the first conv layer gets {ratio:.1e} of the last one's gradient norm (the plain net: {plain:.1e}): it still vanishes. Put a BatchNorm2d between each convolution and its ReLU":
        "la première couche de convolution reçoit {ratio:.1e} de la norme du gradient de la dernière (le réseau simple : {plain:.1e}) : le gradient s'évanouit encore. Mettez un BatchNorm2d entre chaque convolution et sa ReLU",
    "dropout(x, {p}) has shape {tuple_y_shape}, expected {tuple_x_shape}":
        "dropout(x, {p}) a la forme {tuple_y_shape}, attendu {tuple_x_shape}",
    " (you zero with probability 1 - p: p is the probability to DROP)":
        " (vous mettez à zéro avec une probabilité 1 - p : p est la probabilité de SUPPRIMER)",
    "dropout(x, {p}) zeroed {zeroed:.1%} of the values, expected about {p:.0%}{hint}":
        "dropout(x, {p}) a mis à zéro {zeroed:.1%} des valeurs, attendu environ {p:.0%}{hint}",
    "with p = {p} the surviving values are multiplied by {scale_mean_item:.3g}, expected 1 / (1 - p) = {value:.3g}, so that the mean of the output stays the mean of x":
        "avec p = {p}, les valeurs conservées sont multipliées par {scale_mean_item:.3g}, attendu 1 / (1 - p) = {value:.3g}, pour que la moyenne de la sortie reste celle de x",
    "stop_epoch({losses}, {patience}) returned {got!r}: return a pair (epoch it stopped at, best epoch), epochs counted from 1":
        "stop_epoch({losses}, {patience}) a renvoyé {got!r} : renvoyez une paire (époque d'arrêt, meilleure époque), les époques comptées à partir de 1",
    "return a list with one clipped tensor per gradient ({len_grads} here), got {got!r}":
        "renvoyez une liste avec un tenseur écrêté par gradient ({len_grads} ici), reçu {got!r}",
    "{where} nothing should change: clipping only shrinks a gradient above the limit":
        "{where}, rien ne devrait changer : l'écrêtage ne réduit qu'un gradient au-dessus de la limite",
    "{where} your tensors are each below max_norm but together their norm is {got_norm:.3g}: clip the GLOBAL norm of all gradients together, not each tensor":
        "{where}, vos tenseurs sont chacun sous max_norm mais ensemble leur norme vaut {got_norm:.3g} : écrêtez la norme GLOBALE de tous les gradients ensemble, pas chaque tenseur",
    "{where} your result points elsewhere (cosine {direction:.3f} with the gradient): scale every value by the same factor, do not clamp values one by one":
        "{where}, votre résultat pointe ailleurs (cosinus {direction:.3f} avec le gradient) : multipliez chaque valeur par le même facteur, n'écrêtez pas les valeurs une par une",
    "count epochs from 1, like engine.fit's history (enumerate(..., start=1))":
        "comptez les époques à partir de 1, comme l'historique d'engine.fit (enumerate(..., start=1))",
    "stop as soon as `patience` epochs in a row did not improve, not one epoch later":
        "arrêtez-vous dès que `patience` époques d'affilée ne se sont pas améliorées, pas une époque plus tard",
    "an epoch only counts as better when its loss is strictly lower (<, not <=)":
        "une époque ne compte comme meilleure que si sa perte est strictement plus basse (<, pas <=)",
    "stop_epoch({losses}, patience={patience}) returned {got}, expected {expected}: {reason}":
        "stop_epoch({losses}, patience={patience}) a renvoyé {got}, attendu {expected} : {reason}",
    # --- helpers/exercises/ch10a.py, ch10b.py
    'four classes, 152 to 5,507 images':
        'quatre classes, de 152 à 5,507 images',
    'three classes, one of them a single image':
        "trois classes, dont l'une d'une seule image",
    'class 1 has no image':
        "la classe 1 n'a aucune image",
    'sampler_weights must return numbers (a tensor, an array or a list), one per image: {error}':
        'sampler_weights doit renvoyer des nombres (un tenseur, un tableau ou une liste), un par image : {error}',
    'you returned {size} weights, one per class; the sampler wants one per IMAGE ({n} here): index your class weights with the labels (w[labels])':
        "vous avez renvoyé {size} poids, un par classe ; l'échantillonneur en veut un par IMAGE ({n} ici) : indexez vos poids de classe avec les étiquettes (w[labels])",
    "for '{case}' you returned {size} weights for {n} images: one weight per image":
        'pour « {case} » vous avez renvoyé {size} poids pour {n} images : un poids par image',
    'the weights must be finite, not negative, and not all zero':
        'les poids doivent être finis, non négatifs, et pas tous nuls',
    "with your weights every image is equally likely: the sampler draws the classes as unbalanced as the data ({share:.1%} for class {worst} in '{case}'). Give the images of small classes more weight":
        "avec vos poids, chaque image est également probable : l'échantillonneur tire les classes aussi déséquilibrées que les données ({share:.1%} pour la classe {worst} dans « {case} »). Donnez plus de poids aux images des petites classes",
    "your weights grow with the class size: in '{case}' the largest class would get {share:.1%} of the draws (it holds {frequency:.1%} of the images). The weight of an image is 1 / (the size of its class)":
        "vos poids croissent avec la taille de la classe : dans « {case} », la plus grande classe obtiendrait {share:.1%} des tirages (elle contient {frequency:.1%} des images). Le poids d'une image vaut 1 / (la taille de sa classe)",
    "in '{case}' your weights draw class {worst} {share:.1%} of the time instead of {want:.1%} (1 / {classes} classes)":
        'dans « {case} », vos poids tirent la classe {worst} {share:.1%} du temps au lieu de {want:.1%} (1 / {classes} classes)',
    'every class gets 1/{classes} of the draws. On the full set an image of the smallest class ({smallest} images) is drawn {ratio:.1f} times as often as one of the largest ({largest:,}); an epoch of {total:,} draws shows each of its images about {draws:.0f} times, which is why such sampling goes with augmentation. torch.utils.data.WeightedRandomSampler(weights, num_samples=len(weights)) uses them.':
        "chaque classe obtient 1/{classes} des tirages. Sur le jeu complet, une image de la plus petite classe ({smallest} images) est tirée {ratio:.1f} fois plus souvent qu'une image de la plus grande ({largest:,}) ; une époque de {total:,} tirages montre chacune de ses images environ {draws:.0f} fois, et c'est pourquoi un tel échantillonnage va de pair avec l'augmentation. torch.utils.data.WeightedRandomSampler(weights, num_samples=len(weights)) les utilise.",
    'green leaves':
        'feuilles vertes',
    'dim and bright images':
        'images sombres et claires',
    'one flat colour':
        'une seule couleur uniforme',
    'channel_stats must return two things, (mean, std), got {got_type}':
        'channel_stats doit renvoyer deux choses, (mean, std), reçu {got_type}',
    'mean':
        'moyenne',
    'std':
        'écart-type',
    'your {name} has {size} value(s), expected 3, one per colour channel: reduce over the images and the pixels, dim=(0, 2, 3)':
        'votre {name} a {size} valeur(s), attendu 3, une par canal de couleur : réduisez sur les images et les pixels, dim=(0, 2, 3)',
    "your statistics are on the 0-255 scale ({mean}); the course's images are floats in 0-1 when they are normalised: divide by 255 first":
        "vos statistiques sont sur l'échelle 0-255 ({mean}) ; les images du cours sont des flottants entre 0 et 1 quand on les normalise : divisez d'abord par 255",
    "for '{case}' your means are {mean}, expected {right}: one mean per channel over every pixel of every image":
        'pour « {case} », vos moyennes valent {mean}, attendu {right} : une moyenne par canal sur tous les pixels de toutes les images',
    "for '{case}' you averaged the spread of each image on its own ({std}); the spread that normalisation divides by is over all the pixels of all the images at once ({right}): the differences between images count too":
        'pour « {case} », vous avez moyenné la dispersion de chaque image prise seule ({std}) ; la dispersion par laquelle la normalisation divise porte sur tous les pixels de toutes les images à la fois ({right}) : les différences entre images comptent aussi',
    "for '{case}' your standard deviations are {std}, expected {right}":
        'pour « {case} », vos écarts-types valent {std}, attendu {right}',
    "right. The course normalises with pv.MEAN = {mean} and pv.STD = {std}, the statistics of ImageNet's photos (what pretrained networks expect); run your function on a batch of raw training images to see how far PlantVillage's own are.":
        "juste. Le cours normalise avec pv.MEAN = {mean} et pv.STD = {std}, les statistiques des photos d'ImageNet (ce qu'attendent les réseaux pré-entraînés) ; exécutez votre fonction sur un lot d'images d'entraînement brutes pour voir à quelle distance sont celles de PlantVillage.",
    'photos in a random order':
        'des photos dans un ordre aléatoire',
    'big and small leaves in turn':
        'des grandes et des petites feuilles en alternance',
    'one photo per leaf':
        'une photo par feuille',
    "for '{case}' you returned {size} folds for {n} photos: one fold number per photo":
        'pour « {case} », vous avez renvoyé {size} plis pour {n} photos : un numéro de pli par photo',
    'fold numbers go from 0 to k - 1 = {last}, got {folds}':
        'les numéros de pli vont de 0 à k - 1 = {last}, reçu {folds}',
    "in '{case}' the photos of {group} are in folds {where}: a model would be scored on a leaf it trained on. Deal out whole groups, not photos":
        "dans « {case} », les photos de {group} sont dans les plis {where} : un modèle serait évalué sur une feuille vue à l'entraînement. Distribuez des groupes entiers, pas des photos",
    "in '{case}' the folds hold {load} photos: more than the largest group ({largest}) apart. Deal the largest groups first, each to the fold with the fewest photos so far":
        "dans « {case} », les plis contiennent {load} photos : plus éloignés que le plus grand groupe ({largest}). Distribuez d'abord les plus grands groupes, chacun au pli qui a le moins de photos jusque-là",
    "no leaf in two folds, and folds as even as whole leaves allow: each fold is scored on leaves its model never saw. pv.kfold_splits(root, k=5, grouping='leaf') deals the groups the same way, class by class.":
        "aucune feuille dans deux plis, et des plis aussi égaux que des feuilles entières le permettent : chaque pli est évalué sur des feuilles que son modèle n'a jamais vues. pv.kfold_splits(root, k=5, grouping='leaf') distribue les groupes de la même façon, classe par classe.",
    "the same 64 bits for a brighter copy: near-duplicates (another photo of the same leaf) differ in few bits, which is how a leak can be estimated without the leaf maps.":
        "les mêmes 64 bits pour une copie plus claire : des quasi-doublons (une autre photo de la même feuille) diffèrent de peu de bits, et c'est ainsi qu'on peut estimer une fuite sans les cartes des feuilles.",
    "the corner classifier scored {before:.0%} on these pictures and {after:.0%} once the corners are grey (chance {chance:.0%}): it was reading the background, not the leaf.":
        "le classifieur de coins obtenait {before:.0%} sur ces images et {after:.0%} une fois les coins gris (hasard {chance:.0%}) : il lisait le fond, pas la feuille.",
    "{expected:.1%} on the test part, against {overall_share_split:.1%} for the largest class over all images: stratification keeps every class's share in each part.":
        "{expected:.1%} sur la partie test, contre {overall_share_split:.1%} pour la plus grande classe sur toutes les images : la stratification garde la part de chaque classe dans chaque partie.",
    "your accuracy is {got:.4f}, expected {expected:.4f}: take the class that is most frequent in split['train'] and the share of split['test'] that belongs to it":
        "votre exactitude vaut {got:.4f}, attendu {expected:.4f} : prenez la classe la plus fréquente dans split['train'] et la part de split['test'] qui lui appartient",
    "{got:g} looks like a percentage: give the accuracy as a fraction between 0 and 1":
        "{got:g} ressemble à un pourcentage : donnez l'exactitude comme une fraction entre 0 et 1",
    "{got:.4f} is what the most frequent TEST class scores: you chose the class by looking at the test labels. Choose it on the training labels (np.bincount(train).argmax()), then count how often the test labels equal it":
        "{got:.4f} est le score de la classe de TEST la plus fréquente : vous avez choisi la classe en regardant les étiquettes de test. Choisissez-la sur les étiquettes d'entraînement (np.bincount(train).argmax()), puis comptez combien de fois les étiquettes de test lui sont égales",
    "{got:.4f} is the largest class's share of ALL images; the question is the test part: compare the test labels with the training majority class":
        "{got:.4f} est la part de la plus grande classe sur TOUTES les images ; la question porte sur la partie test : comparez les étiquettes de test avec la classe majoritaire de l'entraînement",
    "your hash has {bits_size} values, expected 64 (an 8 x 8 thumbnail in grey): convert with .convert('L') and resize to (8, 8) before comparing with the mean":
        "votre hachage a {bits_size} valeurs, attendu 64 (une vignette 8 x 8 en gris) : convertissez avec .convert('L') et redimensionnez en (8, 8) avant de comparer avec la moyenne",
    "your hash should hold booleans (pixel > mean), not the pixel values themselves":
        "votre hachage doit contenir des booléens (pixel > moyenne), pas les valeurs des pixels elles-mêmes",
    "your hash changed when the whole picture got 40 levels brighter: compare each pixel with the mean of the 64 thumbnail pixels, not with a fixed level such as 128":
        "votre hachage a changé quand toute l'image est devenue 40 niveaux plus claire : comparez chaque pixel à la moyenne des 64 pixels de la vignette, pas à un niveau fixe comme 128",
    "your hash of the '{name}' test picture differs from the average hash in {value} of 64 bits":
        "votre hachage de l'image de test '{name}' diffère du hachage moyen sur {value} bits sur 64",
    "your hash is the same for a picture and its upside-down copy: keep the pixels in place":
        "votre hachage est le même pour une image et sa copie à l'envers : gardez les pixels à leur place",
    "your function changed the images it was given: work on a copy (images.clone()) and return it":
        "votre fonction a modifié les images qu'elle a reçues : travaillez sur une copie (images.clone()) et renvoyez-la",
    "blank_corners must return a uint8 batch shaped like its input {tuple_images_shape}, got {out_dtype} {tuple_out_shape}":
        "blank_corners doit renvoyer un lot uint8 de la forme de son entrée {tuple_images_shape}, reçu {out_dtype} {tuple_out_shape}",
    "the corner classifier still scores {after:.0%} (chance {chance:.0%}) on your images: the {corners} square(s) still show the background":
        "le classifieur de coins obtient encore {after:.0%} (hasard {chance:.0%}) sur vos images : le ou les carrés {corners} montrent encore le fond",
    "you changed pixels outside the four 2 x 2 corner squares (e.g. row {r}, column {c}): the leaf and the rest of the picture must stay as they were":
        "vous avez changé des pixels hors des quatre carrés de coin 2 x 2 (par ex. ligne {r}, colonne {c}) : la feuille et le reste de l'image doivent rester tels quels",
    "blank_corners(images, size=3) left part of the 3 x 3 corner squares: use `size`":
        "blank_corners(images, size=3) a laissé une partie des carrés de coin 3 x 3 : utilisez `size`",
    "your bits are inverted: True must mean 'brighter than the mean'":
        "vos bits sont inversés : True doit signifier « plus clair que la moyenne »",
    "the {name} corner is {pixel}, not the course's grey {GREY_3} (the fill of pv.augmentations' rotations)":
        "le coin {name} vaut {pixel}, pas le gris du cours {GREY_3} (le remplissage des rotations de pv.augmentations)",
    "blocks":
        "blocs",
    "brighter":
        "plus claire",
    "two halves":
        "deux moitiés",
    "upside down":
        "à l'envers",
    "your share is {got:.4g}, expected {share:.4g}: add up count_parameters(block.shortcut) over the four ResidualBlocks and divide by the model's parameters":
        "votre part vaut {got:.4g}, attendu {share:.4g} : additionnez count_parameters(block.shortcut) sur les quatre ResidualBlock et divisez par les paramètres du modèle",
    "your share":
        "votre part",
    "{got:.3g} looks like a percentage: give the share as a fraction between 0 and 1":
        "{got:.3g} ressemble à un pourcentage : donnez la part comme une fraction entre 0 et 1",
    # --- helpers/exercises/ch11.py
    " That is the count at 256 px: the first Linear layer's inputs depend on the image size.":
        " C'est le compte à 256 px : les entrées de la première couche Linear dépendent de la taille de l'image.",
    " Every Conv2d and Linear layer also has one bias per output.":
        " Chaque couche Conv2d et Linear a aussi un biais par sortie.",
    " Five MaxPool(2) layers halve the side five times: the maps end at image_size / 32.":
        " Cinq couches MaxPool(2) divisent le côté par deux cinq fois : les cartes finissent à image_size / 32.",
    "simple_cnn_parameters({side}) returned {got:,.0f}; expected {expected:,}.{hint}":
        "simple_cnn_parameters({side}) a renvoyé {got:,.0f} ; attendu {expected:,}.{hint}",
    "{p64:,} parameters at 64 px, {p256:,} at 256 px, {p512:,} at 512 px: the convolutions hold {convs:,} whatever the size, the first Linear layer grows 4x each time the side doubles ({share512:.0%} of the model at 512 px). A network that flattens its maps is built for one image size; chapter 13's AdaptiveAvgPool makes the head's size independent of it.":
        "{p64:,} paramètres à 64 px, {p256:,} à 256 px, {p512:,} à 512 px : les convolutions en gardent {convs:,} quelle que soit la taille, la première couche Linear grandit de 4x chaque fois que le côté double ({share512:.0%} du modèle à 512 px). Un réseau qui aplatit ses cartes est construit pour une seule taille d'image ; l'AdaptiveAvgPool du chapitre 13 rend la taille de la tête indépendante de celle-ci.",
    "section 4's 'dead hidden units' is exactly this number, computed on 512 units.":
        "les « unités cachées mortes » de la section 4 sont exactement ce nombre, calculé sur 512 unités.",
    "on a 5-block SimpleCNN at 32 px the logits' spread across images starts {spread_default_spread:.0f}x larger than with PyTorch's default, and {STEPS} steps at lr {LR:g} take the loss from {first_loss:.2f} to {final_loss:.2f} (default initialisation: to {default_loss:.2f}).":
        "sur un SimpleCNN à 5 blocs en 32 px, la dispersion des logits entre images démarre {spread_default_spread:.0f} fois plus grande qu'avec l'initialisation par défaut de PyTorch, et {STEPS} pas à lr {LR:g} font passer la perte de {first_loss:.2f} à {final_loss:.2f} (initialisation par défaut : à {default_loss:.2f}).",
    " That is the plain accuracy: average the recall of each class instead, so that every class weighs the same.":
        " C'est la précision (accuracy) ordinaire : faites plutôt la moyenne du rappel de chaque classe, pour que chaque classe pèse autant.",
    " You averaged the precision (right among the predictions of a class); balanced accuracy averages the recall (found among the images of a class).":
        " Vous avez fait la moyenne de la précision par classe (justes parmi les prédictions d'une classe) ; la précision équilibrée fait la moyenne du rappel (trouvées parmi les images d'une classe).",
    " Average over the classes present in y_true only: a class with no image has no recall.":
        " Faites la moyenne sur les seules classes présentes dans y_true : une classe sans image n'a pas de rappel.",
    "balanced_accuracy returned {got:.4g} for {shown}; expected {expected:.4g}.{hint}":
        "balanced_accuracy a renvoyé {got:.4g} pour {shown} ; attendu {expected:.4g}.{hint}",
    "always answering class 0 scores {accuracy:.0%} accuracy on labels where it holds {accuracy:.0%}, but {balanced:.0%} balanced accuracy = 1 / {present} classes present: whichever class a collapsed model names, its balanced accuracy is 1 / (number of classes), section 3's check.":
        "répondre toujours la classe 0 donne {accuracy:.0%} de précision sur des étiquettes où elle pèse {accuracy:.0%}, mais {balanced:.0%} de précision équilibrée = 1 / {present} classes présentes : quelle que soit la classe que nomme un modèle effondré, sa précision équilibrée vaut 1 / (nombre de classes), la vérification de la section 3.",
    " That is the share of zero VALUES. A unit (a column) is dead when it is zero for every image: .all(dim=0) before the mean.":
        " C'est la part de VALEURS nulles. Une unité (une colonne) est morte quand elle est nulle pour toutes les images : .all(dim=0) avant la moyenne.",
    "dead_share returned {got:.4g} for {shown}; expected {expected:.4g}.{hint}":
        "dead_share a renvoyé {got:.4g} pour {shown} ; attendu {expected:.4g}.{hint}",
    "after {STEPS} Adam steps at lr {LR:g} on one batch of 16 images your network's loss went from {first_loss:.2f} only to {final_loss:.2f}: the initialisation did not help it learn":
        "après {STEPS} pas d'Adam à lr {LR:g} sur un lot de 16 images, la perte de votre réseau n'est passée que de {first_loss:.2f} à {final_loss:.2f} : l'initialisation ne l'a pas aidé à apprendre",
    " You counted units that are zero for SOME image: that is a normal ReLU at work. Dead means zero for every image (.all, not .any).":
        " Vous avez compté les unités nulles pour CERTAINES images : c'est une ReLU normale au travail. Morte signifie nulle pour toutes les images (.all, pas .any).",
    "before training your network's loss is {first_loss:.1f}, far above ln 38 = {math_log_38:.2f}: with Kaiming weights in the last layer too, the 38 logits start large and confidently wrong. Re-draw the last Linear layer's weights with a small std (0.01), as section 5 does":
        "avant l'entraînement, la perte de votre réseau vaut {first_loss:.1f}, bien au-dessus de ln 38 = {math_log_38:.2f} : avec des poids de Kaiming dans la dernière couche aussi, les 38 logits démarrent grands et faux avec assurance. Retirez les poids de la dernière couche Linear avec un petit écart-type (0.01), comme le fait la section 5",
    "the logits of your network hardly depend on the image at the start (spread across images {spread:.2g}, PyTorch's default {default_spread:.2g}): the signal still shrinks from layer to layer":
        "les logits de votre réseau dépendent à peine de l'image au départ (dispersion entre images {spread:.2g}, défaut de PyTorch {default_spread:.2g}) : le signal rétrécit encore de couche en couche",
    " You looked along the wrong dimension: rows are images, columns are units (dim=0).":
        " Vous avez regardé selon la mauvaise dimension : les lignes sont les images, les colonnes les unités (dim=0).",
    "your function left layer {name} ({layer}) as PyTorch initialised it: re-draw every Conv2d and Linear weight (model.modules() finds them all)":
        "votre fonction a laissé la couche {name} ({layer}) telle que PyTorch l'a initialisée : retirez chaque poids de Conv2d et de Linear (model.modules() les trouve tous)",
    " That is sqrt(1 / fan_in): for ReLU layers pass nonlinearity='relu' (gain sqrt 2).":
        " C'est sqrt(1 / fan_in) : pour des couches ReLU passez nonlinearity='relu' (gain sqrt 2).",
    "layer {name} has weights with standard deviation {std:.3f}; Kaiming's for a ReLU layer with fan_in = {fan_in} is sqrt(2 / {fan_in}) = {kaiming:.3f}.{hint}":
        "la couche {name} a des poids d'écart-type {std:.3f} ; celui de Kaiming pour une couche ReLU avec fan_in = {fan_in} vaut sqrt(2 / {fan_in}) = {kaiming:.3f}.{hint}",
    "layer {name} still has non-zero biases: set them to 0 (nn.init.zeros_)":
        "la couche {name} a encore des biais non nuls : mettez-les à 0 (nn.init.zeros_)",
    " That is a count: divide by the number of units.":
        " C'est un compte : divisez par le nombre d'unités.",
    "a {shape} tensor":
        "un tenseur {shape}",
    # --- helpers/exercises/ch12.py
    "256 to 511 px: MaxPool rounds down, so 511 -> 255 -> ... -> 1. A 128 px image reaches 1 x 1 after 7 blocks and the 8th MaxPool fails; the ResNets end with AdaptiveAvgPool and take any size.":
        "de 256 à 511 px : MaxPool arrondit vers le bas, donc 511 -> 255 -> ... -> 1. Une image de 128 px atteint 1 x 1 après 7 blocs et le 8e MaxPool échoue ; les ResNet finissent par AdaptiveAvgPool et acceptent toutes les tailles.",
    "{found_False:.1e} without BatchNorm, {found_True:.2g} with it, on the same 10 convolutions at initialisation: section 3's measurement.":
        "{found_False:.1e} sans BatchNorm, {found_True:.2g} avec, sur les mêmes 10 convolutions à l'initialisation : la mesure de la section 3.",
    "the first convolution's gradient went from {before:.1e} to {after:.2g} times the last layer's: BatchNorm rescales every layer's signal, forward and backward.":
        "le gradient de la première convolution est passé de {before:.1e} à {after:.2g} fois celui de la dernière couche : BatchNorm remet à l'échelle le signal de chaque couche, en avant comme en arrière.",
    "not answered yet: replace each ... with a number of pixels":
        "pas encore de réponse : remplacez chaque ... par un nombre de pixels",
    "give two numbers, (smallest, largest); got {answer!r}":
        "donnez deux nombres, (plus petit, plus grand) ; reçu {answer!r}",
    "({low}, {high}): give the smallest size first":
        "({low}, {high}) : donnez d'abord la plus petite taille",
    "{low_1} px works too: go smaller until the map would vanish":
        "{low_1} px marche aussi : descendez jusqu'à ce que la carte disparaisse",
    "{high_1} px works too (after 8 halvings rounded down it is still 1 x 1): find the largest size that still ends at exactly 1 pixel":
        "{high_1} px marche aussi (après 8 divisions par deux arrondies vers le bas, c'est encore 1 x 1) : trouvez la plus grande taille qui finit encore à exactement 1 pixel",
    "on a small DeepCNN {what} BatchNorm your function returned {got:.4g}, expected {expected:.4g}.":
        "sur un petit DeepCNN {what} BatchNorm, votre fonction a renvoyé {got:.4g}, attendu {expected:.4g}.",
    "the first convolution's gradient is {after:.2g} times the last layer's with your BatchNorms ({before:.2g} without): BatchNorm in every block should lift it by orders of magnitude":
        "le gradient de la première convolution vaut {after:.2g} fois celui de la dernière couche avec vos BatchNorm ({before:.2g} sans) : un BatchNorm dans chaque bloc devrait le relever de plusieurs ordres de grandeur",
    "each size":
        "chaque taille",
    "a {size} px image is 0 px after DeepCNN's 8 MaxPools (each halves the side and rounds down): the last ones fail":
        "une image de {size} px fait 0 px après les 8 MaxPool de DeepCNN (chacun divise le côté par deux en arrondissant vers le bas) : les derniers échouent",
    "a {size} px image is still {side} x {side} after the 8 MaxPools: Flatten gives 512 x {side_side} = {value} numbers, but Linear(512, 1024) expects 512":
        "une image de {size} px fait encore {side} x {side} après les 8 MaxPool : Flatten donne 512 x {side_side} = {value} nombres, mais Linear(512, 1024) en attend 512",
    "for a model with a single Linear layer (the first is the last) your function returned {one:.4g}; the ratio of a layer's gradient norm to itself is 1":
        "pour un modèle à une seule couche Linear (la première est la dernière), votre fonction a renvoyé {one:.4g} ; le rapport de la norme du gradient d'une couche à elle-même vaut 1",
    " The model arrived with gradients from an earlier batch and backward() ADDS to .grad: call model.zero_grad() first.":
        " Le modèle est arrivé avec les gradients d'un lot précédent et backward() AJOUTE à .grad : appelez d'abord model.zero_grad().",
    "the small DeepCNN has 10 convolutions; yours calls {len_convs}: add layers, remove none":
        "le petit DeepCNN a 10 convolutions ; le vôtre en appelle {len_convs} : ajoutez des couches, n'en retirez aucune",
    "your function changed the convolutions' weights: keep the convolutions, only add BatchNorm":
        "votre fonction a changé les poids des convolutions : gardez les convolutions, ajoutez seulement BatchNorm",
    " That is last / first: divide the first layer's norm by the last layer's.":
        " C'est dernière / première : divisez la norme de la première couche par celle de la dernière.",
    "your network fails on a batch of 8 images: {error_line}. A BatchNorm2d after a convolution needs that convolution's out_channels":
        "votre réseau échoue sur un lot de 8 images : {error_line}. Un BatchNorm2d après une convolution a besoin des out_channels de cette convolution",
    "convolution {name} is followed by {type_following_name}, not BatchNorm2d: put one right after every Conv2d":
        "la convolution {name} est suivie de {type_following_name}, pas de BatchNorm2d : mettez-en un juste après chaque Conv2d",
    " That is the ratio of the WEIGHTS' norms: use layer.weight.grad.":
        " C'est le rapport des normes des POIDS : utilisez layer.weight.grad.",
    " That is the ratio of the gradients already in .grad: run a backward pass on the batch.":
        " C'est le rapport des gradients déjà présents dans .grad : faites une passe arrière sur le lot.",
    "with":
        "avec",
    "without":
        "sans",
    # --- helpers/exercises/ch13.py
    "{int_first_sum} and {int_second_sum} of 200 images mirrored in two calls, a new choice each time (and a batch of one works: {value} this time).":
        "{int_first_sum} et {int_second_sum} images sur 200 retournées en deux appels, un nouveau tirage à chaque fois (et un lot d'une image marche : {value} cette fois).",
    "stem + 8 blocks without BatchNorm: the stem's gradient norm is {with_shortcut:.2g} with your shortcuts, {without:.1e} without. Each block adds its input back, so the gradient reaches the stem through the additions, not only through 16 convolutions (chapter 12 found that BatchNorm also rescues it).":
        "stem + 8 blocs sans BatchNorm : la norme du gradient du stem vaut {with_shortcut:.2g} avec vos raccourcis, {without:.1e} sans. Chaque bloc rajoute son entrée, donc le gradient atteint le stem par les additions, pas seulement à travers 16 convolutions (le chapitre 12 a montré que BatchNorm le sauve aussi).",
    "{counts_all:,} parameters, {share:.1%} of the model: a 1x1 convolution has cin x cout weights, a ninth of a 3x3 one, so letting every block change its width costs little.":
        "{counts_all:,} paramètres, {share:.1%} du modèle : une convolution 1x1 a cin x cout poids, un neuvième d'une 3x3, donc laisser chaque bloc changer de largeur coûte peu.",
    "{got:,.0f} is the number of parameters; divide it by the model's {counts_model:,}":
        "{got:,.0f} est le nombre de paramètres ; divisez-le par les {counts_model:,} du modèle",
    "you counted the 1x1 convolutions only: each shortcut also has a BatchNorm2d with 2 x cout parameters (its weight and bias)":
        "vous n'avez compté que les convolutions 1x1 : chaque raccourci a aussi un BatchNorm2d avec 2 x cout paramètres (son poids et son biais)",
    "you counted the convolutions' weights only: add their biases and the BatchNorms' parameters":
        "vous n'avez compté que les poids des convolutions : ajoutez leurs biais et les paramètres des BatchNorm",
    "that is the shortcuts' share of the residual blocks; the question asks for the whole model ({counts_model:,} parameters)":
        "c'est la part des raccourcis dans les blocs résiduels ; la question porte sur tout le modèle ({counts_model:,} paramètres)",
    "random_hflip must return a tensor shaped like its input {tuple_images_shape}, got {value}":
        "random_hflip doit renvoyer un tenseur de la forme de son entrée {tuple_images_shape}, reçu {value}",
    "your function changed the batch it was given: return a new tensor (the loader may reuse its input)":
        "votre fonction a modifié le lot qu'elle a reçu : renvoyez un nouveau tenseur (le chargeur peut réutiliser son entrée)",
    "image {i} is neither the original nor its left-right mirror":
        "l'image {i} n'est ni l'originale ni son miroir gauche-droite",
    "the same images were mirrored in two calls: draw new coins on every call":
        "les mêmes images ont été retournées lors de deux appels : faites un nouveau tirage à chaque appel",
    "give the class itself (Residual, not Residual(...)); got {type_answer_name}":
        "donnez la classe elle-même (Residual, pas Residual(...)) ; reçu {type_answer_name}",
    "in 8 blocks without BatchNorm the stem's gradient norm is {with_shortcut:.2g} with your block and {without:.2g} without shortcuts: the shortcut should carry the gradient past every block":
        "dans 8 blocs sans BatchNorm, la norme du gradient du stem vaut {with_shortcut:.2g} avec votre bloc et {without:.2g} sans raccourcis : le raccourci devrait faire passer le gradient au-delà de chaque bloc",
    "image {i} came back upside down (flipped along dim -2, the height): a horizontal mirror reverses the width, the last dimension":
        "l'image {i} est revenue à l'envers (retournée selon la dimension -2, la hauteur) : un miroir horizontal inverse la largeur, la dernière dimension",
    "image {i} has its colour channels reversed (RGB -> BGR): in a batch (N, C, H, W) the width is dim -1, not dim 1":
        "l'image {i} a ses canaux de couleur inversés (RGB -> BGR) : dans un lot (N, C, H, W), la largeur est la dimension -1, pas la dimension 1",
    "{how_many} of the 200 images came back mirrored in one call: draw one coin per image (torch.rand(len(images)) < 0.5), not one for the whole batch":
        "{how_many} des 200 images sont revenues retournées en un appel : faites un tirage par image (torch.rand(len(images)) < 0.5), pas un pour tout le lot",
    "{count} of 200 images came back mirrored: each one should be, with probability 0.5":
        "{count} images sur 200 sont revenues retournées : chacune devrait l'être avec une probabilité de 0.5",
    "with cin = cout = 8 and stride 1 the shortcut is the identity, with no parameters; your block adds {extra}":
        "avec cin = cout = 8 et un pas de 1, le raccourci est l'identité, sans paramètres ; votre bloc en ajoute {extra}",
    "Residual(main, 8, 8) should keep the shape {tuple_x_shape}, got {value}":
        "Residual(main, 8, 8) doit garder la forme {tuple_x_shape}, reçu {value}",
    "Residual(main, 8, 8)(x) is not ReLU(main(x) + x)":
        "Residual(main, 8, 8)(x) n'est pas ReLU(main(x) + x)",
    "Residual(main, 8, 16, stride=2) needs a shortcut with one nn.Conv2d(8, 16, 1, stride=2) (found {value})":
        "Residual(main, 8, 16, stride=2) a besoin d'un raccourci avec un nn.Conv2d(8, 16, 1, stride=2) (trouvé : {value})",
    "the projection shortcut is a 1x1 convolution followed by nn.BatchNorm2d(cout), as in models.ResidualBlock":
        "le raccourci de projection est une convolution 1x1 suivie de nn.BatchNorm2d(cout), comme dans models.ResidualBlock",
    "Residual(main, 8, 8)(x) is not ReLU(main(x) + x).{hint}":
        "Residual(main, 8, 8)(x) n'est pas ReLU(main(x) + x).{hint}",
    " You forgot the shortcut: add x before the ReLU.":
        " Vous avez oublié le raccourci : ajoutez x avant la ReLU.",
    " You forgot the final ReLU: ReLU(main(x) + x).":
        " Vous avez oublié la ReLU finale : ReLU(main(x) + x).",
    " You added x after the ReLU: add first, then ReLU.":
        " Vous avez ajouté x après la ReLU : additionnez d'abord, puis la ReLU.",
    "Residual(main, 8, 16, stride=2) turns (2, 8, 16, 16) into {shape}, expected (2, 16, 8, 8)":
        "Residual(main, 8, 16, stride=2) transforme (2, 8, 16, 16) en {shape}, attendu (2, 16, 8, 8)",
    # --- helpers/exercises/ch14.py
    "{total_g:.2f} G multiply-adds per 256 px image instead of {before_g:.2f} G ({before_total:.1f}x fewer), same {params:,} parameters, same 16 x 16 maps at the end.{per_block}":
        "{total_g:.2f} G multiplications-additions par image de 256 px au lieu de {before_g:.2f} G ({before_total:.1f} fois moins), les mêmes {params:,} paramètres, les mêmes cartes 16 x 16 à la fin.{per_block}",
    " The four blocks now cost {shown} G: block 4, with no MaxPool to replace, is {value:.0%} of the total.":
        " Les quatre blocs coûtent maintenant {shown} G : le bloc 4, sans MaxPool à remplacer, représente {value:.0%} du total.",
    " You added kernel - 1 for every layer: after a stride, one step of a kernel spans several input pixels (the jump).":
        " Vous avez ajouté kernel - 1 pour chaque couche : après un pas, un cran du noyau couvre plusieurs pixels d'entrée (le saut).",
    "{shown} returned {number:g}; one output unit of that chain depends on {expected} x {expected} input pixels (measured with autograd).{hint}":
        "{shown} a renvoyé {number:g} ; une unité de sortie de cette chaîne dépend de {expected} x {expected} pixels d'entrée (mesuré avec autograd).{hint}",
    "The last block sees {stride} x {stride} pixels in ResNet_stride, {pool} x {pool} in ResNet_maxpool: both end on 16 x 16 maps with the same weights, but the stride-2 network's second convolution of each block already runs at the halved resolution, where each step spans twice as many pixels. A quarter of the work and a wider view.":
        "Le dernier bloc voit {stride} x {stride} pixels dans ResNet_stride, {pool} x {pool} dans ResNet_maxpool : les deux finissent sur des cartes 16 x 16 avec les mêmes poids, mais la seconde convolution de chaque bloc du réseau à pas 2 travaille déjà à la résolution divisée par deux, où chaque cran couvre deux fois plus de pixels. Un quart du travail et une vue plus large.",
    " That is the coverage at stride 1: output windows start every {stride} positions.":
        " C'est la couverture avec un pas de 1 : les fenêtres de sortie commencent toutes les {stride} positions.",
    " Output window i starts at i * stride - padding: the first rows it covers are padding, not the map.":
        " La fenêtre de sortie i commence à i * stride - padding : les premières lignes qu'elle couvre sont du rembourrage, pas la carte.",
    " The coverage is not the same everywhere: count window by window.":
        " La couverture n'est pas la même partout : comptez fenêtre par fenêtre.",
    "{shown} should return a tensor of counts: {error_line}":
        "{shown} doit renvoyer un tenseur de comptes : {error_line}",
    "{shown} has shape {shape}, expected {expected_shape}: one count per position of the input map":
        "{shown} a la forme {shape}, attendu {expected_shape} : un compte par position de la carte d'entrée",
    "{shown}: your first row is {got_row}, the convolution reads it {expected_row} times (arguments: kernel, stride, padding, size).{hint}":
        "{shown} : votre première ligne vaut {got_row}, la convolution la lit {expected_row} fois (arguments : kernel, stride, padding, size).{hint}",
    "Kernel 3, stride 2, padding 1 on an 8 x 8 map: {once} positions are read once, {twice} twice and {four} four times, the positions between the centres count most. The 1 x 1 shortcut reads {read} of the {total} positions and never the others.":
        "Noyau 3, pas 2, padding 1 sur une carte 8 x 8 : {once} positions sont lues une fois, {twice} deux fois et {four} quatre fois, les positions entre les centres comptent le plus. Le raccourci 1 x 1 lit {read} des {total} positions et jamais les autres.",
    "give the function that builds the network (small_resnet_stride2, not small_resnet_stride2())":
        "donnez la fonction qui construit le réseau (small_resnet_stride2, pas small_resnet_stride2())",
    "small_resnet_stride2() should return an nn.Module, got {type_model_name}":
        "small_resnet_stride2() doit renvoyer un nn.Module, reçu {type_model_name}",
    "your network has {params:,} parameters, SmallResNet {reference:,}: a stride changes where a convolution moves, not its weights; keep the same layers":
        "votre réseau a {params:,} paramètres, SmallResNet {reference:,} : un pas change la façon dont une convolution se déplace, pas ses poids ; gardez les mêmes couches",
    "your network returns shape {shape} for one image, expected (1, 38)":
        "votre réseau renvoie la forme {shape} pour une image, attendu (1, 38)",
    " With stride 2 inside a block, the MaxPool after it halves the image a second time.":
        " Avec un pas de 2 dans un bloc, le MaxPool qui le suit divise l'image par deux une seconde fois.",
    "at 256 px your last block works on {side} x {side} maps, SmallResNet's on 16 x 16: the same downsampling should happen, only inside the blocks.{hint}":
        "à 256 px, votre dernier bloc travaille sur des cartes {side} x {side}, celui de SmallResNet sur 16 x 16 : le même sous-échantillonnage doit avoir lieu, seulement à l'intérieur des blocs.{hint}",
    "your network does {total_g:.2f} G multiply-adds per 256 px image, SmallResNet {before_g:.2f} G: its first three blocks should run at half the side (stride 2 in their first convolution and shortcut) instead of being followed by a MaxPool":
        "votre réseau fait {total_g:.2f} G multiplications-additions par image de 256 px, SmallResNet {before_g:.2f} G : ses trois premiers blocs devraient travailler à un côté divisé par deux (pas de 2 dans leur première convolution et leur raccourci) au lieu d'être suivis d'un MaxPool",
    "your network fails on a 256 px image: {error_line}":
        "votre réseau échoue sur une image de 256 px : {error_line}",
    " SmallResNet has no MaxPool after block 4, so block 4 keeps stride 1.":
        " SmallResNet n'a pas de MaxPool après le bloc 4, donc le bloc 4 garde un pas de 1.",
    # --- helpers/exercises/ch15.py
    "top-1 is the ordinary accuracy and top-k can only grow with k (top-38 is always 1): more guesses, more hits. A diagnosis tool shows the top 3-5 with their probabilities.":
        "top-1 est l'exactitude ordinaire et top-k ne peut que croître avec k (top-38 vaut toujours 1) : plus d'essais, plus de réussites. Un outil de diagnostic montre les 3 à 5 premières avec leurs probabilités.",
    "a linear classifier trained {STEPS} steps on 16 separable points: mean top probability {smoothed:.3f} with your loss, {plain:.3f} with plain cross-entropy. The smoothed loss is smallest at 1 - ε + ε/K = {ceiling:.3f}, so it stops pushing the logits apart once the answer is right.":
        "un classifieur linéaire entraîné {STEPS} pas sur 16 points séparables : probabilité maximale moyenne {smoothed:.3f} avec votre perte, {plain:.3f} avec l'entropie croisée simple. La perte lissée est minimale en 1 - ε + ε/K = {ceiling:.3f}, donc elle cesse d'écarter les logits une fois la réponse juste.",
    "{len_probs} rows of 38 probabilities, k = {k}":
        "{len_probs} lignes de 38 probabilités, k = {k}",
    " That is a count: divide by the number of rows.":
        " C'est un compte : divisez par le nombre de lignes.",
    "topk_accuracy returned {got:.4g} for {shown}; expected {expected:.4g}.{hint}":
        "topk_accuracy a renvoyé {got:.4g} pour {shown} ; attendu {expected:.4g}.{hint}",
    " The logits here are large (up to 150): softmax then log overflows or gives log(0). logits.log_softmax(dim=1) computes the same stably.":
        " Les logits sont grands ici (jusqu'à 150) : softmax puis log déborde ou donne log(0). logits.log_softmax(dim=1) calcule la même chose de façon stable.",
    "for {shown} your loss is {got:.5g}, nn.CrossEntropyLoss(label_smoothing={smoothing}) gives {expected:.5g}.{hint}":
        "pour {shown} votre perte vaut {got:.5g}, nn.CrossEntropyLoss(label_smoothing={smoothing}) donne {expected:.5g}.{hint}",
    "trained with your loss, a classifier is as confident ({smoothed:.3f}) as with plain cross-entropy ({plain:.3f}): the smoothing has no effect":
        "entraîné avec votre perte, un classifieur est aussi sûr de lui ({smoothed:.3f}) qu'avec l'entropie croisée simple ({plain:.3f}) : le lissage n'a aucun effet",
    " You took the k SMALLEST probabilities: topk returns the largest (or sort with descending=True).":
        " Vous avez pris les k PLUS PETITES probabilités : topk renvoie les plus grandes (ou triez avec descending=True).",
    " That is plain cross-entropy: the smoothing is missing.":
        " C'est l'entropie croisée simple : le lissage manque.",
    " You compared with the k-th class only: a hit is the true class anywhere among the k (.any).":
        " Vous avez comparé avec la k-ième classe seulement : c'est une réussite si la vraie classe est n'importe où parmi les k (.any).",
    " You spread the smoothing over the K - 1 other classes; PyTorch spreads it over all K, the true one included: (1 - ε) one-hot + ε / K.":
        " Vous avez réparti le lissage sur les K - 1 autres classes ; PyTorch le répartit sur les K, la vraie comprise : (1 - ε) one-hot + ε / K.",
    " That is a sum over the batch: take the mean.":
        " C'est une somme sur le lot : prenez la moyenne.",
    # --- helpers/exercises/ch16.py
    "mirroring the input changes the plain model's probabilities by up to {change:.3f}, the averaged prediction's by 0: the four views are the same set for the image and its mirrors, so the prediction no longer depends on which way the leaf was photographed. It costs four forward passes per image.":
        "retourner l'entrée change les probabilités du modèle simple jusqu'à {change:.3f}, celles de la prédiction moyennée de 0 : les quatre vues forment le même ensemble pour l'image et ses miroirs, donc la prédiction ne dépend plus du sens dans lequel la feuille a été photographiée. Cela coûte quatre passes avant par image.",
    "in the first table the best test accuracy ({first_test_acc_max:.2f}) belongs to a model that validation did not choose; reporting it would be the maximum of three noisy numbers, a biased estimate. The chosen model's test accuracy ({value:.2f}) is not.":
        "dans le premier tableau, la meilleure exactitude de test ({first_test_acc_max:.2f}) appartient à un modèle que la validation n'a pas choisi ; la rapporter reviendrait à prendre le maximum de trois nombres bruités, une estimation biaisée. L'exactitude de test du modèle choisi ({value:.2f}) ne l'est pas.",
    "predict_tta(model, images.flip(-1)) differs from predict_tta(model, images) by {tta_change:.3g}":
        "predict_tta(model, images.flip(-1)) diffère de predict_tta(model, images) de {tta_change:.3g}",
    "for 6 images and 5 classes predict_tta should return probabilities of shape (6, 5), got {value}":
        "pour 6 images et 5 classes, predict_tta doit renvoyer des probabilités de forme (6, 5), reçu {value}",
    " The model was left in training mode: call model.eval() first (Dropout drops units at random and BatchNorm uses the batch's statistics in training mode).":
        " Le modèle est resté en mode entraînement : appelez d'abord model.eval() (en mode entraînement, Dropout supprime des unités au hasard et BatchNorm utilise les statistiques du lot).",
    "your probabilities differ from the average of the softmax over the 4 views (largest difference {value:.3g}).{hint}":
        "vos probabilités diffèrent de la moyenne des softmax sur les 4 vues (plus grand écart {value:.3g}).{hint}",
    "choose should return (model name, its test accuracy), got {result!r}":
        "choose doit renvoyer (nom du modèle, son exactitude de test), reçu {result!r}",
    "the test accuracy you return":
        "l'exactitude de test que vous renvoyez",
    "you chose '{name}', but '{best}' has the best validation accuracy ({table_loc_best_val_acc:.2f}) in this table:\n{table}":
        "vous avez choisi '{name}', mais '{best}' a la meilleure exactitude de validation ({table_loc_best_val_acc:.2f}) dans ce tableau :\n{table}",
    " That is its validation accuracy, already used to choose it: report the test accuracy.":
        " C'est son exactitude de validation, déjà utilisée pour le choisir : rapportez l'exactitude de test.",
    "you chose '{best}' (right) but returned {number:.3g}; its test accuracy is {table_loc_best_test_acc:.3g}.{hint}":
        "vous avez choisi '{best}' (juste) mais renvoyé {number:.3g} ; son exactitude de test vaut {table_loc_best_test_acc:.3g}.{hint}",
    "you chose '{name}', the model with the best TEST accuracy: choose on validation ('{best}' here); the test set only measures the chosen model, once":
        "vous avez choisi '{name}', le modèle avec la meilleure exactitude de TEST : choisissez sur la validation ('{best}' ici) ; le jeu de test ne fait que mesurer le modèle choisi, une fois",
    " You used three views (the image and its two mirrors), as section 4 does: add the image flipped both ways, images.flip(-1, -2).":
        " Vous avez utilisé trois vues (l'image et ses deux miroirs), comme la section 4 : ajoutez l'image retournée dans les deux sens, images.flip(-1, -2).",
    " You averaged the logits: average the probabilities (softmax of each view, then the mean).":
        " Vous avez moyenné les logits : moyennez les probabilités (softmax de chaque vue, puis la moyenne).",
    " images.flip(1) reverses the colour channels: the width is dim -1, the height dim -2.":
        " images.flip(1) inverse les canaux de couleur : la largeur est la dimension -1, la hauteur la dimension -2.",
    # --- helpers/exercises/core.py
    "your tensor":
        "votre tenseur",
    "your function":
        "votre fonction",
    "a tensor of shape {shape}":
        "un tenseur de forme {shape}",
    "an array of shape {shape}":
        "un tableau de forme {shape}",
    "{what} should be a number, got {kind} {value}":
        "{what} doit être un nombre, reçu {kind} {value}",
    "Hint {number}/{total} for {label}: {hint}":
        "Indice {number}/{total} pour {label} : {hint}",
    "A solution for {label}:\n\n{source}":
        "Une solution pour {label} :\n\n{source}",
    "{what} should be a number, not a bool ({value})":
        "{what} doit être un nombre, pas un booléen ({value})",
    "{what} should be a {names}, got {kind}":
        "{what} doit être de type {names}, reçu {kind}",
    "{what} is {value}, expected {expected}.{extra}":
        "{what} vaut {value}, attendu {expected}.{extra}",
    "{what} should be a tensor, got {kind}":
        "{what} doit être un tenseur, reçu {kind}",
    "{what}: expected shape {expected}, got {shape}":
        "{what} : forme attendue {expected}, reçu {shape}",
    "{what}: expected dtype {dtype}, got {got}":
        "{what} : dtype attendu {dtype}, reçu {got}",
    "{what}: {bad} of {total} values differ; e.g. at {index} you have {got:.6g}, expected {expected:.6g}":
        "{what} : {bad} valeurs sur {total} diffèrent ; par ex. en {index} vous avez {got:.6g}, attendu {expected:.6g}",
    "{name} should be a function, got {kind}":
        "{name} doit être une fonction, reçu {kind}",
    "not answered yet: replace the `...` with your answer and run the cell again (`ex.{name}.hint()` gives a hint)":
        "pas encore de réponse : remplacez le `...` par votre réponse et relancez la cellule (`ex.{name}.hint()` donne un indice)",
    "your answer raised {error_type}: {error}":
        "votre réponse a levé {error_type} : {error}",
    "correct!":
        "correct !",
    "{label}: no hint for this one; `ex.{name}.solution()` shows a solution":
        "{label} : pas d'indice pour celui-ci ; `ex.{name}.solution()` montre une solution",
    "{what} should be one number, got a {kind} of shape {shape}":
        "{what} doit être un seul nombre, reçu un {kind} de forme {shape}",
    " or ":
        " ou ",
    "{name}({shown}) returned {got}, expected {expected}":
        "{name}({shown}) a renvoyé {got}, attendu {expected}",
    "not answered yet: your function still raises NotImplementedError":
        "pas encore de réponse : votre fonction lève encore NotImplementedError",
    "{name}({shown}) raised {kind}: {error}":
        "{name}({shown}) a levé {kind} : {error}",
    "not answered yet":
        "pas encore de réponse",
    # --- exercise 16.q1: McNemar's test by hand
    "McNemar's test by hand":
        'Le test de McNemar à la main',
    'Count a_only (A right, B wrong) and b_only (B right, A wrong): the images both get right or both get wrong do not count. If A and B were equally good, each of the n = a_only + b_only images would fall on either side with probability 1/2.':
        "Comptez a_only (A juste, B faux) et b_only (B juste, A faux) : les images que les deux réussissent, ou que les deux ratent, ne comptent pas. Si A et B étaient aussi bons l'un que l'autre, chacune des n = a_only + b_only images tomberait d'un côté ou de l'autre avec une probabilité 1/2.",
    'p = min(1, 2 * P(X <= min(a_only, b_only))) for X ~ Binomial(n, 1/2): sum(math.comb(n, i) for i in range(k + 1)) / 2**n is P(X <= k).':
        'p = min(1, 2 * P(X <= min(a_only, b_only))) pour X ~ Binomiale(n, 1/2) : sum(math.comb(n, i) for i in range(k + 1)) / 2**n vaut P(X <= k).',
    '10 images that only A gets right, 200 both get right':
        '10 images que seul A réussit, 200 que les deux réussissent',
    '6 images each way':
        '6 images de chaque côté',
    'no image on which they disagree':
        'aucune image sur laquelle ils divergent',
    '500 random images, one in ten disputed':
        '500 images aléatoires, une sur dix disputée',
    'your p-value':
        'votre p-valeur',
    ' That is one tail: the test is two-sided (A better OR B better), double it (at most 1).':
        " C'est une seule queue : le test est bilatéral (A meilleur OU B meilleur), doublez-la (au plus 1).",
    ' Your n counts every image; only the discordant ones (right for one, wrong for the other) are the coin tosses.':
        " Votre n compte toutes les images ; seules les discordantes (justes pour l'un, fausses pour l'autre) sont les tirages à pile ou face.",
    '{what}: you give p = {got:.6g}, the exact test gives {expected:.6g} ({a_only} images only A gets right, {b_only} only B).{hint}':
        '{what} : vous donnez p = {got:.6g}, le test exact donne {expected:.6g} ({a_only} images que seul A réussit, {b_only} que seul B réussit).{hint}',
    'right on all four cases. With 10 disputed images all on one side, p = {p:.4f}: below 5%, although both classifiers agree on 200 of the 210 images. The 200 say nothing about which is better; section 4 applies the same test to test-time augmentation.':
        "juste sur les quatre cas. Avec 10 images disputées toutes du même côté, p = {p:.4f} : sous 5%, bien que les deux classifieurs soient d'accord sur 200 des 210 images. Ces 200 ne disent rien de celui qui est meilleur ; la section 4 applique le même test à l'augmentation au moment du test.",
    # --- exercise 15.q2: Grad-CAM by hand
    'Grad-CAM by hand':
        'Grad-CAM à la main',
    'The weight of channel c is the mean of its gradient over the map: gradients.mean(dim=(1, 2)).':
        'Le poids du canal c est la moyenne de son gradient sur la carte : gradients.mean(dim=(1, 2)).',
    'cam = torch.relu((weights[:, None, None] * activations).sum(dim=0)), then cam / cam.max().':
        'cam = torch.relu((weights[:, None, None] * activations).sum(dim=0)), puis cam / cam.max().',
    'case {index}: give one (H, W) map, {expected}; got {shape}':
        'cas {index} : donnez une carte (H, W), {expected} ; reçu {shape}',
    'case {index}: your map has negative values: keep only what speaks FOR the class (a ReLU after the weighted sum)':
        'cas {index} : votre carte a des valeurs négatives : ne gardez que ce qui parle EN FAVEUR de la classe (une ReLU après la somme pondérée)',
    'case {index}: your map goes up to {top:.3g}: divide by its largest value so that it runs from 0 to 1':
        "cas {index} : votre carte monte jusqu'à {top:.3g} : divisez par sa plus grande valeur pour qu'elle aille de 0 à 1",
    "case {index}: your map differs from Grad-CAM's by up to {gap:.3g}: weight each channel by the MEAN of its gradient over the map, then sum the weighted channels":
        'cas {index} : votre carte diffère de celle de Grad-CAM de {gap:.3g} au plus : pondérez chaque canal par la MOYENNE de son gradient sur la carte, puis additionnez les canaux pondérés',
    "right on the three cases. In the first, channel 1's gradient is negative: it argues against the class, so only channel 0's corner lights up ({share:.0%} of the map's total), which is what the ReLU is for.":
        "juste sur les trois cas. Dans le premier, le gradient du canal 1 est négatif : il plaide contre la classe, si bien que seul le coin du canal 0 s'allume ({share:.0%} du total de la carte), et c'est à cela que sert la ReLU.",
}

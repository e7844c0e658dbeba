
¾

label

1
	embedding$"
 »»p¾°;¢¿)ãŠ>[ƒ >Ój?¾—!ÀÇç	¿í¨F½

name


item-2

tokens
á¹¶ÓsˆÍÇ±æÿÿÿÿ

score
ù½ë¿

blob


~,ýÍ

tags


t0
t1

id

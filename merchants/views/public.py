from django.http import HttpResponse


def home(request):
    return HttpResponse("home")


def merchant_list(request):
    return HttpResponse("list")


def merchant_detail(request, pk: int):
    return HttpResponse("detail")
